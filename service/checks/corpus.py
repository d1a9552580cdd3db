"""Planted test corpora with ground truth, to measure the checker (tests, bench, docs).

A reference (say a benchmark's test split) and a dataset of synthetic prose: words drawn
from a Zipf distribution over a made-up vocabulary, so unrelated records share no long
n-gram by chance. Into the dataset go, at random rows and each recorded in the truth:

- exact duplicates of earlier dataset records and of reference records, with case and
  spacing changed (normalisation must see through that);
- near duplicates: copies with a few words replaced, inserted or deleted, kept only when the
  true Jaccard similarity of their word shingles (computed here, exactly, with Python sets)
  lies in ``near_jaccard``;
- n-gram leaks: a passage of ``leak_words`` consecutive words of a reference record inside
  an otherwise new record;
- model boilerplate and vendor self-identification phrases; and near misses that mention AI
  models without being boilerplate (they must not be flagged);
- format errors: unparseable lines, empty or cut-off texts, mojibake, a missing field.

Truth per metric is the set of dataset rows that carry the plant. A near duplicate of a
reference record also leaks its n-grams (it keeps a run of ``ngram`` unedited words, which
the generator checks), so it is in the n-gram truth too; exact copies of reference records
likewise.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PlantConfig", "PlantedCorpus", "precision_recall", "write_planted_corpus"]

BOILERPLATE = [
    ("As an AI language model, I cannot provide personal opinions on this topic.", None),
    ("I'm sorry, but I cannot fulfill that request.", None),
    ("As an AI assistant, I do not have access to real-time information.", None),
    ("I am an AI and I don't have feelings, but thank you for asking.", None),
    ("As of my knowledge cutoff in 2021, the situation was different.", None),
    ("I'm ChatGPT, a large language model trained by OpenAI.", "OpenAI"),
    ("I am Claude, an AI assistant made by Anthropic.", "Anthropic"),
    ("I'm Gemini, a model trained by Google.", "Google"),
    ("Hello! I am Llama, developed by Meta AI.", "Meta"),
]
NEAR_MISSES = [
    "The language model was evaluated on an AI benchmark last year.",
    "Researchers at OpenAI and Anthropic published new results.",
    "An assistant helped the model builders with the training data.",
    "Claude Monet painted water lilies in his garden.",
]
_SYLLABLES = [a + b for a in "bcdfghjklmnprstvwz" for b in ["a", "e", "i", "o", "u", "ai", "ou"]]


@dataclass
class PlantConfig:
    records: int = 6000
    reference_records: int = 2000
    exact_within: int = 150
    exact_reference: int = 100
    near_within: int = 150
    near_reference: int = 100
    ngram_leaks: int = 150
    boilerplate: int = 100
    near_misses: int = 100
    format_errors: int = 60
    ngram: int = 13
    shingle: int = 5
    near_jaccard: tuple[float, float] = (0.85, 0.97)
    jaccard: float = 0.8  # the checker's threshold: what counts as a near duplicate in truth
    leak_words: tuple[int, int] = (13, 30)
    seed: int = 7


@dataclass
class PlantedCorpus:
    dataset: Path
    reference: Path
    truth: dict[str, set[int]] = field(default_factory=dict)
    records: int = 0


class _Words:
    def __init__(self, rng: random.Random, vocabulary: int = 30000) -> None:
        words: set[str] = set()
        while len(words) < vocabulary:
            words.add("".join(rng.choices(_SYLLABLES, k=rng.choice((1, 2, 2, 3, 3, 4)))))
        self.words = sorted(words)
        rng.shuffle(self.words)
        total, self.cumulative = 0.0, []
        for rank in range(vocabulary):  # Zipf-like
            total += 1.0 / (rank + 10)
            self.cumulative.append(total)
        self.rng = rng

    def sentence(self) -> list[str]:
        count = self.rng.randint(8, 22)
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=count)
        words[-1] += "."
        words[0] = words[0].capitalize()
        return words

    def record(self) -> list[str]:
        words: list[str] = []
        for _ in range(self.rng.randint(3, 7)):
            words += self.sentence()
        return words


def _shingles(words: list[str], k: int) -> set[tuple[str, ...]]:
    clean = [w.strip(".").lower() for w in words]
    if len(clean) < k:
        return {tuple(clean)}
    return {tuple(clean[i : i + k]) for i in range(len(clean) - k + 1)}


def _jaccard(a: list[str], b: list[str], k: int) -> float:
    sa, sb = _shingles(a, k), _shingles(b, k)
    return len(sa & sb) / len(sa | sb)


def _surface(words: list[str], rng: random.Random) -> str:
    """The same words with case and spacing changed."""
    text = "  ".join(words) if rng.random() < 0.5 else " ".join(words)
    return text.upper() if rng.random() < 0.3 else ("\t" + text + "  ")


def _edit(words: list[str], rng: random.Random, vocab: _Words, config: PlantConfig) -> list[str]:
    low, high = config.near_jaccard
    for _ in range(100):
        copy = list(words)
        for _ in range(rng.randint(1, max(1, len(words) // 40))):
            position = rng.randrange(len(copy) - 1)  # the last word keeps its full stop
            action = rng.random()
            if action < 0.5:
                copy[position] = rng.choice(vocab.words)
            elif action < 0.8:
                copy.insert(position, rng.choice(vocab.words))
            elif len(copy) > config.shingle + 1:
                del copy[position]
        if low <= _jaccard(words, copy, config.shingle) <= high and _longest_run(
            words, copy, config.ngram
        ):
            return copy
    raise RuntimeError("could not make a near duplicate in range")  # pragma: no cover


def _longest_run(original: list[str], copy: list[str], n: int) -> bool:
    """Whether the copy keeps at least one of the original's n-grams."""
    grams = {
        tuple(w.strip(".").lower() for w in original[i : i + n])
        for i in range(len(original) - n + 1)
    }
    low = [w.strip(".").lower() for w in copy]
    return any(tuple(low[i : i + n]) in grams for i in range(len(low) - n + 1))


def _lines(
    config: PlantConfig, vocab: _Words, reference: list[list[str]], truth: dict[str, set[int]]
) -> Iterator[str]:
    rng = random.Random(config.seed + 1)
    plants = (
        ["exact_within"] * config.exact_within
        + ["exact_reference"] * config.exact_reference
        + ["near_within"] * config.near_within
        + ["near_reference"] * config.near_reference
        + ["leak"] * config.ngram_leaks
        + ["boilerplate"] * config.boilerplate
        + ["near_miss"] * config.near_misses
        + ["format"] * config.format_errors
    )
    if len(plants) > config.records // 2:
        raise ValueError("too many plants for the number of records")
    slots = rng.sample(range(50, config.records), len(plants))  # the first 50 stay clean
    planned = dict(zip(slots, plants, strict=True))
    recent: list[tuple[int, list[str]]] = []  # clean records a within-plant may copy
    # Records copied from one source, by source: copies of one source duplicate each other.
    families: dict[tuple[str, int], list[tuple[int, list[str]]]] = {}
    formats = ["unparseable", "empty", "mojibake", "truncated", "missing"]

    def relate(row: int, key: tuple[str, int], words: list[str], exact_of_source: bool) -> None:
        """Truth for a copy: exact or near duplicate of the reference, of earlier copies."""
        members = families.setdefault(key, [])
        text = [w.strip(".").lower() for w in words]
        exact_within = any([w.strip(".").lower() for w in m] == text for _, m in members)
        near_within = not exact_within and any(
            _jaccard(words, m, config.shingle) >= config.jaccard for _, m in members
        )
        if exact_of_source or exact_within:
            truth["exact_duplicate"].add(row)
        if key[0] == "r":
            truth["ngram_overlap"].add(row)
            if not exact_of_source:
                truth["near_duplicate"].add(row)  # generated with J >= near_jaccard[0]
        if near_within:
            truth["near_duplicate"].add(row)
        members.append((row, words))

    for row in range(config.records):
        plant = planned.get(row, "clean")
        if plant in ("exact_within", "near_within"):
            source_row, source = rng.choice(recent)
            while plant.startswith("near") and len(source) < 60:  # room for an edit in range
                source_row, source = rng.choice(recent)
            key = ("d", source_row)
            families.setdefault(key, [(source_row, source)])
        else:
            ref_index = rng.randrange(len(reference))
            while plant.startswith("near") and len(reference[ref_index]) < 60:
                ref_index = rng.randrange(len(reference))
            source, key = reference[ref_index], ("r", ref_index)
        if plant in ("exact_within", "exact_reference"):
            relate(row, key, source, exact_of_source=True)
            yield json.dumps({"id": row, "text": _surface(source, rng)})
        elif plant in ("near_within", "near_reference"):
            words = _edit(source, rng, vocab, config)
            relate(row, key, words, exact_of_source=False)
            yield json.dumps({"id": row, "text": " ".join(words)})
        elif plant == "leak":
            truth["ngram_overlap"].add(row)
            length = rng.randint(*config.leak_words)
            start = rng.randrange(max(1, len(source) - length))
            words = vocab.record()
            cut = rng.randrange(len(words))
            words[cut:cut] = source[start : start + length]
            yield json.dumps({"id": row, "text": " ".join(words)})
        elif plant in ("boilerplate", "near_miss"):
            words = vocab.record()
            if plant == "boilerplate":
                truth["boilerplate"].add(row)
                phrase = rng.choice(BOILERPLATE)[0]
            else:
                phrase = rng.choice(NEAR_MISSES)
            text = " ".join(words)
            yield json.dumps(
                {
                    "id": row,
                    "text": phrase + " " + text if rng.random() < 0.5 else text + " " + phrase,
                }
            )
        elif plant == "format":
            truth["format_error"].add(row)
            kind = formats[row % len(formats)]
            text = " ".join(vocab.record())
            if kind == "unparseable":
                yield f'{{"id": {row}, "text": "{text[:40]}'  # the line stops mid-string
            elif kind == "empty":
                yield json.dumps({"id": row, "text": "   "})
            elif kind == "mojibake":
                yield json.dumps(
                    {"id": row, "text": text.replace(" ", " caf\u00c3\u00a9 ", 1)},
                    ensure_ascii=False,
                )
            elif kind == "truncated":
                yield json.dumps({"id": row, "text": text[: len(text) * 2 // 3].rstrip(". ")})
            else:
                yield json.dumps({"id": row, "body": text})
        else:
            words = vocab.record()
            recent.append((row, words))
            if len(recent) > 2000:
                recent.pop(rng.randrange(len(recent)))
            yield json.dumps({"id": row, "text": " ".join(words)})


def write_planted_corpus(directory: Path, config: PlantConfig | None = None) -> PlantedCorpus:
    """Write ``reference.jsonl``, ``dataset.jsonl`` and ``truth.json`` into ``directory``
    (streamed: memory holds the reference and a bounded sample of dataset records)."""
    config = config or PlantConfig()
    directory.mkdir(parents=True, exist_ok=True)
    vocab = _Words(random.Random(config.seed))
    reference = [vocab.record() for _ in range(config.reference_records)]
    ref_path = directory / "reference.jsonl"
    with ref_path.open("w", encoding="utf-8") as handle:
        for i, words in enumerate(reference):
            handle.write(json.dumps({"id": i, "text": " ".join(words)}) + "\n")
    kinds = ("exact_duplicate", "near_duplicate", "ngram_overlap", "boilerplate", "format_error")
    truth: dict[str, set[int]] = {kind: set() for kind in kinds}
    data_path = directory / "dataset.jsonl"
    with data_path.open("w", encoding="utf-8") as handle:
        for line in _lines(config, vocab, reference, truth):
            handle.write(line + "\n")
    (directory / "truth.json").write_text(
        json.dumps({k: sorted(v) for k, v in truth.items()}, indent=1), encoding="utf-8"
    )
    return PlantedCorpus(data_path, ref_path, truth, config.records)


def precision_recall(flagged: set[int], truth: set[int]) -> tuple[float, float]:
    """(precision, recall) of flagged rows against planted rows (1.0 when both are empty)."""
    hits = len(flagged & truth)
    precision = hits / len(flagged) if flagged else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall
