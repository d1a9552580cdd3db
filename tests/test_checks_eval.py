"""Precision and recall of every metric on planted corpora (service/checks/corpus.py).

The generator plants exact and near duplicates (inside the dataset and of reference
records), 13-gram leaks, boilerplate (and near misses that must not be flagged) and format
errors, and records the truth; the checker's ``--details`` lines are scored against it.
Done when: >= 99% recall of exact and n-gram plants, >= 95% of near-duplicate plants, and
>= 95% precision everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provgraph.service.checks.corpus import PlantConfig, precision_recall, write_planted_corpus
from provgraph.service.checks.engine import run_check
from provgraph.service.checks.models import CheckReport, CheckRequest, DataInput

RECALL_FLOOR = {
    "exact_duplicate": 0.99,
    "ngram_overlap": 0.99,
    "near_duplicate": 0.95,
    "boilerplate": 0.99,
    "format_error": 0.99,
}
CASES = {
    "defaults": (PlantConfig(seed=7), {}),
    "3-word shingles, J 0.7, 8-grams": (
        PlantConfig(
            seed=11, shingle=3, jaccard=0.7, near_jaccard=(0.78, 0.95), ngram=8, leak_words=(8, 20)
        ),
        {"shingle": 3, "jaccard": 0.7, "ngram": 8},
    ),
}


def _check(
    tmp: Path,
    config: PlantConfig,
    options: dict[str, object],
    workers: int,
    details_name: str = "details.jsonl",
) -> tuple[CheckReport, dict[str, set[int]], dict[str, set[int]]]:
    corpus = write_planted_corpus(tmp, config)  # deterministic: the same seed, the same files
    request = CheckRequest(
        dataset=DataInput(path=str(corpus.dataset)),
        references=[DataInput(path=str(corpus.reference), id="bench:test")],
        **options,  # type: ignore[arg-type]
    )
    details = tmp / details_name
    with details.open("w") as handle:
        report = run_check(request, details=handle, workers=workers)
    flagged: dict[str, set[int]] = {kind: set() for kind in corpus.truth}
    for line in details.read_text().splitlines():
        row = json.loads(line)
        assert set(row) == {"record", "kind", "reference", "reference_record", "score", "detail"}
        flagged[row["kind"]].add(row["record"])
    return report, flagged, corpus.truth


@pytest.mark.parametrize("case", list(CASES))
def test_every_metric_meets_the_precision_and_recall_floors(tmp_path: Path, case: str) -> None:
    config, options = CASES[case]
    report, flagged, truth = _check(tmp_path, config, options, workers=1)
    scores = {kind: precision_recall(flagged[kind], truth[kind]) for kind in truth}
    print(f"\n{case}: " + ", ".join(f"{k} P={p:.4f} R={r:.4f}" for k, (p, r) in scores.items()))
    for kind, (precision, recall) in scores.items():
        assert len(truth[kind]) >= 60, kind  # enough plants to measure
        assert precision >= 0.95, (kind, precision, sorted(flagged[kind] - truth[kind])[:10])
        assert recall >= RECALL_FLOOR[kind], (
            kind,
            recall,
            sorted(truth[kind] - flagged[kind])[:10],
        )
    # The report's counts are the flagged records.
    assert report.exact_duplicates.count == len(flagged["exact_duplicate"])
    assert report.near_duplicates.count == len(flagged["near_duplicate"])
    assert report.ngram_overlap.count == len(flagged["ngram_overlap"])
    assert report.boilerplate.count == len(flagged["boilerplate"])
    assert report.format_errors.count == len(flagged["format_error"])
    assert report.records == config.records
    assert report.reference_records == {"bench:test": config.reference_records}


def test_two_worker_processes_give_the_same_answer(tmp_path: Path) -> None:
    config = PlantConfig(
        seed=5,
        records=3000,
        reference_records=800,
        exact_within=40,
        exact_reference=40,
        near_within=40,
        near_reference=40,
        ngram_leaks=40,
        boilerplate=30,
        near_misses=30,
        format_errors=20,
    )
    one, flagged_one, _ = _check(tmp_path, config, {}, workers=1, details_name="one.jsonl")
    two, flagged_two, _ = _check(tmp_path, config, {}, workers=2, details_name="two.jsonl")
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert flagged_one == flagged_two
    strip = {"id", "started_at", "finished_at", "records_per_second"}
    assert one.model_dump(exclude=strip) == two.model_dump(exclude=strip)


def test_findings_follow_the_thresholds(tmp_path: Path) -> None:
    report, _, _ = _check(tmp_path, PlantConfig(seed=3), {}, workers=1)
    rules = {f.rule: f for f in report.findings}
    # 350 of 6,000 records leak 13-grams: above the 1% contamination threshold, an error.
    contamination = rules["check-benchmark-contamination"]
    assert contamination.severity == "error" and contamination.reference == "bench:test"
    assert contamination.rate == pytest.approx(report.ngram_overlap.rate)
    assert report.findings[0].severity == "error"
    # Internal duplicates (about 5%) stay under the 10% default.
    assert "check-internal-duplicates" not in rules
