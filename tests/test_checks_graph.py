"""Checks on the graph, in the CLI and the API, against a real Neo4j: the :Check node and its
CHECKED/AGAINST links, latest checks in `show`, `lineage` and `checks`, findings as alerts
(opened, kept, resolved; never resolved by a license refresh), webhook deliveries queued,
background API jobs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provgraph.cli.main import run
from provgraph.service.alerts import (
    delete_webhook,
    list_alerts,
    list_deliveries,
    refresh_conflicts,
    register_webhook,
)
from provgraph.service.api import create_app
from provgraph.service.checks.corpus import PlantConfig, PlantedCorpus, write_planted_corpus
from provgraph.service.checks.graph import get_check, latest_checks
from provgraph.service.checks.models import CheckRequest, DataInput
from provgraph.service.checks.run import check_dataset
from provgraph.service.ingest import ingest_lines
from provgraph.service.settings import Settings
from provgraph.service.store import Store

SMALL = PlantConfig(
    seed=21,
    records=1500,
    reference_records=400,
    exact_within=20,
    exact_reference=20,
    near_within=20,
    near_reference=20,
    ngram_leaks=30,
    boilerplate=10,
    near_misses=10,
    format_errors=10,
)
# The same seed: the same vocabulary and reference, and a dataset without plants.
CLEAN = PlantConfig(
    seed=21,
    records=600,
    reference_records=400,
    exact_within=0,
    exact_reference=0,
    near_within=0,
    near_reference=0,
    ngram_leaks=0,
    boilerplate=0,
    near_misses=0,
    format_errors=0,
)
SPEC_KEYS = {
    "dataset",
    "references",
    "records",
    "exact_duplicates",
    "near_duplicates",
    "ngram_overlap",
    "format_errors",
    "boilerplate",
    "divergence",
}


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@pytest.fixture()
def cli(
    env_for_cli: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    monkeypatch.setenv("COLUMNS", "400")
    capsys.readouterr()

    def invoke(*args: str) -> Result:
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> PlantedCorpus:
    return write_planted_corpus(tmp_path_factory.mktemp("planted"), SMALL)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> PlantedCorpus:
    return write_planted_corpus(tmp_path_factory.mktemp("clean"), CLEAN)


def graph(store: Store, ns: str) -> dict[str, str]:
    """bench (a benchmark's test split) and train (a training set) -> model."""
    ids = {"bench": f"{ns}bench", "train": f"{ns}train", "model": f"{ns}model"}
    lines = [
        {"node": "dataset", "id": ids["bench"], "name": "Benchmark test split"},
        {"node": "dataset", "id": ids["train"], "name": "Training set"},
        {"node": "model", "id": ids["model"], "name": "Model", "model_type": "llm"},
        {"edge": "TRAINED_ON", "from": ids["model"], "to": ids["train"]},
    ]
    ingest_lines(store, [json.dumps(line) for line in lines])
    return ids


def test_cli_check_records_a_check_node_and_shows_it(
    store: Store, ns: str, cli: Callable[..., Result], corpus: PlantedCorpus, tmp_path: Path
) -> None:
    ids = graph(store, ns)
    details = tmp_path / "flagged.jsonl"
    result = cli(
        "check",
        str(corpus.dataset),
        "--against",
        str(corpus.reference),
        "--dataset",
        ids["train"],
        "--reference-id",
        ids["bench"],
        "--details",
        str(details),
        "--json",
    )
    assert result.code == 0, result
    report = result.json
    assert set(report) >= SPEC_KEYS
    assert report["dataset"] == ids["train"] and report["references"] == [ids["bench"]]
    assert report["records"] == SMALL.records and report["recorded"] is True
    for metric in (
        "exact_duplicates",
        "near_duplicates",
        "ngram_overlap",
        "format_errors",
        "boilerplate",
    ):
        assert {"count", "rate"} <= set(report[metric])
        assert report[metric]["rate"] == pytest.approx(
            report[metric]["count"] / SMALL.records, abs=1e-6
        )
    lines = [json.loads(line) for line in details.read_text().splitlines()]
    assert {"record", "kind", "reference", "reference_record", "score"} <= set(lines[0])
    leaks = [x for x in lines if x["kind"] == "ngram_overlap"]
    assert len({x["record"] for x in leaks}) == report["ngram_overlap"]["count"]
    assert all(x["reference"] == ids["bench"] for x in leaks)
    # The reference_record is a real row of the reference that shares the passage.
    reference = corpus.reference.read_text().splitlines()
    dataset = corpus.dataset.read_text().splitlines()
    sample = leaks[0]
    ref_words = json.loads(reference[sample["reference_record"]])["text"].lower().split()
    data_text = " ".join(json.loads(dataset[sample["record"]])["text"].lower().split())
    assert any(" ".join(ref_words[i : i + 13]) in data_text for i in range(len(ref_words) - 12))

    # On the graph: one :Check, CHECKED the training set, AGAINST the benchmark.
    checked = latest_checks(store, ids["train"])
    assert [c.id for c in checked] == [report["id"]] and checked[0].role == "checked"
    as_reference = latest_checks(store, ids["bench"])
    assert as_reference[0].role == "reference" and as_reference[0].dataset == ids["train"]
    assert get_check(store, report["id"]).ngram_overlap.count == report["ngram_overlap"]["count"]

    shown = cli("show", ids["train"])
    assert shown.code == 0 and "latest checks" in shown.out and ids["bench"] in shown.out
    tree = cli("lineage", ids["model"])
    assert tree.code == 0 and "check " in tree.out and f"vs {ids['bench']}" in tree.out
    listed = cli("checks", ids["model"], "--lineage", "upstream", "--json")
    assert listed.code == 0 and [c["id"] for c in listed.json] == [report["id"]]


def test_findings_become_alerts_kept_then_resolved(
    store: Store,
    ns: str,
    cli: Callable[..., Result],
    corpus: PlantedCorpus,
    clean: PlantedCorpus,
) -> None:
    ids = graph(store, ns)
    args = (
        "--against",
        str(corpus.reference),
        "--dataset",
        ids["train"],
        "--reference-id",
        ids["bench"],
        "--json",
    )
    first = cli("check", str(corpus.dataset), *args)
    assert first.code == 0, first
    assert first.json["alerts_opened"] == len(first.json["findings"]) >= 1
    alerts = {a.rule: a for a in list_alerts(store, artifact=ids["train"], status="open")}
    contamination = alerts["check-benchmark-contamination"]
    assert contamination.severity == "error" and contamination.policy is None
    assert contamination.origin["node"] == ids["bench"]

    # A license refresh of the same artifact leaves the check's alerts alone.
    ingest_lines(store, [json.dumps({"node": "dataset", "id": ids["train"], "license": "MIT"})])
    refresh_conflicts(store, [ids["train"]])
    still = {a.rule for a in list_alerts(store, artifact=ids["train"], status="open")}
    assert "check-benchmark-contamination" in still

    again = cli("check", str(corpus.dataset), *args, "--fail-on", "error")
    assert again.code == 1  # the contamination error fails the gate
    assert again.json["alerts_opened"] == 0  # the same findings: the alerts stay open

    fixed = cli("check", str(clean.dataset), *args)
    assert fixed.code == 0 and fixed.json["findings"] == []
    assert list_alerts(store, artifact=ids["train"], status="open") == []
    resolved = {a.rule for a in list_alerts(store, artifact=ids["train"], status="resolved")}
    assert "check-benchmark-contamination" in resolved
    assert len(latest_checks(store, ids["train"])) == 3


def test_new_check_alerts_are_queued_for_webhooks(
    store: Store, ns: str, corpus: PlantedCorpus
) -> None:
    ids = graph(store, ns)
    hook = register_webhook(store, "http://127.0.0.1:9/hook", "s" * 32, min_severity="error")
    try:
        request = CheckRequest(
            dataset=DataInput(path=str(corpus.dataset), id=ids["train"]),
            references=[DataInput(path=str(corpus.reference), id=ids["bench"])],
        )
        report = check_dataset(request, store=store, workers=1)
        deliveries = list_deliveries(store, hook.id)
        assert [d.rule for d in deliveries] == ["check-benchmark-contamination"]  # errors only
        assert deliveries[0].node == ids["train"] and deliveries[0].status == "pending"
        assert report.alerts_opened == len(report.findings)
    finally:
        delete_webhook(store, hook.id)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dataset", "{ns}nope", "--reference-id", "{ns}bench"], "no artifact with id"),
        (["--dataset", "{ns}train"], "has no id: to record the check"),
        (["--dataset", "{ns}model", "--reference-id", "{ns}bench"], "is a model, not a dataset"),
    ],
)
def test_ids_are_checked_before_any_data_is_read(
    store: Store,
    ns: str,
    cli: Callable[..., Result],
    corpus: PlantedCorpus,
    extra: list[str],
    message: str,
) -> None:
    graph(store, ns)
    result = cli(
        "check",
        str(corpus.dataset),
        "--against",
        str(corpus.reference),
        *[e.format(ns=ns) for e in extra],
    )
    assert result.code == 1, result
    assert message in " ".join(result.err.split())


def _wait(client: TestClient, location: str) -> dict[str, Any]:
    for _ in range(600):
        job = client.get(location).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("check did not finish")


def test_api_runs_checks_in_the_background(
    store: Store, ns: str, neo4j_settings: Settings, corpus: PlantedCorpus
) -> None:
    ids = graph(store, ns)
    body = {
        "dataset": {"path": str(corpus.dataset), "id": ids["train"]},
        "references": [{"path": str(corpus.reference), "id": ids["bench"]}],
        "ngram": 13,
    }
    with TestClient(create_app(neo4j_settings, store=store)) as client:
        posted = client.post("/api/v1/checks", json=body)
        assert posted.status_code == 202, posted.text
        assert posted.json()["status"] in ("queued", "running", "succeeded")
        location = posted.headers["location"]
        job = _wait(client, location)
        assert job["status"] == "succeeded", job
        report = job["report"]
        assert report["recorded"] and set(report) >= SPEC_KEYS
        assert report["id"] == job["id"]
        listed = client.get(
            f"/api/v1/artifacts/{ids['model']}/checks", params={"lineage": "upstream"}
        )
        assert listed.status_code == 200 and [c["id"] for c in listed.json()] == [job["id"]]

        missing = client.post("/api/v1/checks", json={"dataset": {"path": "/nope.jsonl"}})
        assert missing.status_code == 422
        assert missing.headers["content-type"].startswith("application/problem+json")
        unknown = client.post(
            "/api/v1/checks",
            json={**body, "dataset": {"path": str(corpus.dataset), "id": f"{ns}nope"}},
        )
        assert unknown.status_code == 404
        assert client.post("/api/v1/checks", json={**body, "jaccard": 2}).status_code == 422
        assert client.get("/api/v1/checks/not-a-check").status_code == 404

    # Another process (a restart) reads the finished check from the graph.
    with TestClient(create_app(neo4j_settings, store=store)) as fresh:
        again = fresh.get(location).json()
        assert again["status"] == "succeeded" and again["report"] == report
