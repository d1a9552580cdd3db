"""A synthesis pipeline recorded with provgraph's SDK, and model collapse made visible.

A small local generator (a word-bigram Markov chain: no download, deterministic) is trained
on a shipped human corpus (`human-corpus.txt`), then each generation samples a dataset from
the previous generation's model and trains the next model on it, five times over. Two
scenarios: 0% of the human data kept in each generation's training data, and 10% kept.
Every run, model, dataset, record count and record manifest is recorded with a few lines
of ``provgraph.sdk``; the risk report of each final model comes from the graph.

    provgraph db start
    PROVGRAPH_SINK=neo4j python -m provgraph.examples.synthesis_pipeline
    PROVGRAPH_URL=http://127.0.0.1:8000 python -m provgraph.examples.synthesis_pipeline

As generations pass, rare word pairs that a sample misses are gone for good, so the
vocabulary and the distinct bigrams shrink (model collapse); keeping 10% human data slows
the loss, and the risk report flags the 0% lineage below the 10% threshold.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from provgraph import sdk
from provgraph.examples import example_path

__all__ = ["BigramModel", "Generation", "Scenario", "human_corpus", "run_scenario"]

START, END = "<s>", "</s>"
GENERATIONS = 5
MAX_WORDS = 30


class BigramModel:
    """Word-bigram counts; sampling follows them from START to END."""

    def __init__(self, sentences: list[str]) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        for sentence in sentences:
            words = [START, *sentence.split(), END]
            for a, b in itertools.pairwise(words):
                self.counts[a][b] += 1

    def sample(self, rng: random.Random) -> str:
        words: list[str] = []
        word = START
        while len(words) < MAX_WORDS:
            followers = self.counts[word]
            word = rng.choices(list(followers), weights=list(followers.values()))[0]
            if word == END:
                break
            words.append(word)
        return " ".join(words)

    def bigrams(self) -> int:
        return sum(len(f) for f in self.counts.values())


def human_corpus() -> list[str]:
    text = example_path("human-corpus.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass
class Generation:
    number: int
    dataset: str
    model: str
    vocabulary: int
    bigrams: int


@dataclass
class Scenario:
    prefix: str
    human_share: float
    human_source: str
    generations: list[Generation] = field(default_factory=list)

    @property
    def final_model(self) -> str:
        return self.generations[-1].model


def run_scenario(
    recorder: sdk.Recorder,
    *,
    prefix: str,
    human_share: float,
    workdir: Path,
    seed: int = 42,
) -> Scenario:
    """Gen 0 trained on human text, then five generate-then-train generations."""
    rng = random.Random(seed)
    human = human_corpus()
    size = len(human)
    kept = round(size * human_share)
    source = f"{prefix}human-corpus"
    scenario = Scenario(prefix=prefix, human_share=human_share, human_source=source)
    model_fields = {"vendor": "provgraph-examples", "family": "bigram", "model_type": "llm"}

    with recorder.run(f"{prefix}train-gen0", kind="training") as run:
        corpus = run.uses_source(source, role="training-data", human=True, records=size)
        model = BigramModel(human)
        model_id = run.produces_model(
            f"{prefix}gen0-model", trained_on={corpus: size}, **model_fields
        )

    for number in range(1, GENERATIONS + 1):
        with recorder.run(
            f"{prefix}generate-gen{number}",
            kind="generation",
            params={"records": size, "human_kept": kept, "seed": seed},
        ) as run:
            generator = run.uses_model(model_id)
            manifest = run.record_manifest(workdir / f"{prefix.strip(':')}-gen{number}.parquet")
            records: list[str] = []
            for _ in range(size - kept):
                text = model.sample(rng)
                manifest.add(text, generator=generator, prompt_template="bigram-walk")
                records.append(text)
            for index in sorted(rng.sample(range(size), kept)):
                manifest.add(human[index], generator=None, seed_ids=[f"human-corpus:{index}"])
                records.append(human[index])
            derived = {run.uses_source(source, human=True): kept} if kept else None
            dataset = run.produces_dataset(
                f"{prefix}gen{number}-data",
                manifest=manifest,
                derived_from=derived,
                prompt_template="bigram-walk",
            )
        with recorder.run(f"{prefix}train-gen{number}", kind="training") as run:
            data = run.uses_dataset(dataset, role="training-data")
            model = BigramModel(records)
            model_id = run.produces_model(
                f"{prefix}gen{number}-model", trained_on={data: size}, **model_fields
            )
        vocabulary = len({w for r in records for w in r.split()})
        scenario.generations.append(
            Generation(number, dataset, model_id, vocabulary, model.bigrams())
        )
    return scenario


def _print_scenario(scenario: Scenario, human: BigramModel, report: dict[str, object]) -> None:
    share = f"{scenario.human_share:.0%} human data kept"
    print(f"\n== {share} ({scenario.prefix}) ==")
    print(f"gen 0 (human corpus): {human.bigrams()} distinct bigrams")
    for g in scenario.generations:
        print(f"gen {g.number}: vocabulary {g.vocabulary:3d}, distinct bigrams {g.bigrams:4d}")
    print(f"risk of {scenario.final_model}:")
    for key in ("synthetic_generations", "human_fraction", "vendors"):
        print(f"  {key}: {report[key]}")
    findings = report["findings"]
    assert isinstance(findings, list)
    for f in findings:
        print(f"  [{f['severity']}] {f['rule']}: {f['explanation']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="example:collapse", help="id prefix of the run")
    parser.add_argument("--workdir", type=Path, help="where manifests go (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="provgraph-collapse-"))
    with sdk.Recorder() as recorder:  # PROVGRAPH_URL or PROVGRAPH_SINK=neo4j
        scenarios = [
            run_scenario(
                recorder, prefix=f"{args.prefix}-{pct}pct:", human_share=pct / 100, workdir=workdir
            )
            for pct in (0, 10)
        ]
        sink = recorder.sink
    for scenario in scenarios:
        _print_scenario(scenario, BigramModel(human_corpus()), _risk(sink, scenario.final_model))
    print(f"\nmanifests in {workdir}")
    return 0


def _risk(sink: sdk.Sink, artifact_id: str) -> dict[str, object]:
    """The risk report from where the events went: the API, or Neo4j directly."""
    if isinstance(sink, sdk.HttpSink):
        import httpx

        response = httpx.get(f"{sink.url}/api/v1/artifacts/{artifact_id}/risk", timeout=30)
        response.raise_for_status()
        return dict(response.json())
    from provgraph.service.risk import risk_report
    from provgraph.service.settings import Settings
    from provgraph.service.store import Store

    settings = sink.settings if isinstance(sink, sdk.Neo4jSink) else Settings.from_env()
    with Store.connect(settings) as store:
        return risk_report(store, artifact_id).model_dump(mode="json")


if __name__ == "__main__":
    sys.exit(main())
