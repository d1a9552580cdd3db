"""The SDK records complete, correct runs: in memory, straight into Neo4j, and through spools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port

from provgraph import sdk
from provgraph.service.errors import InvalidInput
from provgraph.service.ingest import ingest_lines
from provgraph.service.settings import Settings
from provgraph.service.store import Store


def graph_of(store: Store, ns: str) -> dict[str, Any]:
    """Every node and relationship under the namespace, read back with plain Cypher-free
    domain queries would hide too much: use the driver directly, for the test only."""
    with store._driver.session(database=store.database) as session:
        nodes = session.run(
            "MATCH (n) WHERE n.id STARTS WITH $ns RETURN n.id AS id, labels(n) AS labels, "
            "properties(n) AS props",
            ns=ns,
        ).data()
        rels = session.run(
            "MATCH (a)-[r]->(b) WHERE a.id STARTS WITH $ns AND b.id STARTS WITH $ns "
            "RETURN a.id AS from, type(r) AS type, b.id AS to, properties(r) AS props",
            ns=ns,
        ).data()
    return {
        "nodes": {n["id"]: n for n in nodes},
        "rels": sorted((r["from"], r["type"], r["to"]) for r in rels),
        "rel_props": {(r["from"], r["type"], r["to"]): r["props"] for r in rels},
    }


def synthesis(recorder: sdk.Recorder, ns: str, *, fail: bool = False) -> None:
    """The few lines a synthesis script adds."""
    with recorder.run(f"{ns}run-1", kind="generation", params={"temperature": 0.7}) as run:
        model = run.uses_model(f"{ns}gen", vendor="Acme", family="markov", license="MIT")
        seeds = run.uses_source(f"{ns}seeds", human=True, records=10)
        if fail:
            raise RuntimeError("generator crashed")
        run.produces_dataset(
            f"{ns}out",
            records=100,
            license="CC-BY-4.0",
            generated_by={model: 90},
            derived_from={seeds: 10},
            prompt_template="qa-v1",
        )


def test_memory_sink_holds_every_record_in_order(ns: str) -> None:
    sink = sdk.MemorySink()
    synthesis(sdk.Recorder(sink), ns)
    kinds = [r.get("node") or r.get("edge") for r in sink.records()]
    assert kinds == [
        "run",
        "model",
        "USED",
        "source",
        "USED",
        "dataset",
        "PRODUCED_BY",
        "GENERATED_BY",
        "DERIVED_FROM",
        "run",
    ]
    first, last = sink.records()[0], sink.records()[-1]
    assert first["status"] == "running" and first["params"] == {"temperature": 0.7}
    assert last["status"] == "succeeded" and "ended_at" in last
    assert len({e.event_id for e in sink.events}) == len(sink.events) == 5


def test_neo4j_sink_records_a_complete_correct_graph(
    store: Store, neo4j_settings: Settings, ns: str, tmp_path: Path
) -> None:
    with sdk.Recorder(sdk.Neo4jSink(neo4j_settings, spool=tmp_path / "spool")) as recorder:
        synthesis(recorder, ns)
    graph = graph_of(store, ns)
    run = graph["nodes"][f"{ns}run-1"]
    assert run["labels"] == ["Run"]
    assert run["props"]["status"] == "succeeded" and run["props"]["kind"] == "generation"
    assert json.loads(run["props"]["params"]) == {"temperature": 0.7}
    assert run["props"]["started_at"] < run["props"]["ended_at"]
    assert sorted(graph["nodes"][f"{ns}out"]["labels"]) == ["Artifact", "Dataset"]
    assert graph["nodes"][f"{ns}out"]["props"]["records"] == 100
    assert graph["rels"] == sorted(
        [
            (f"{ns}out", "DERIVED_FROM", f"{ns}seeds"),
            (f"{ns}out", "GENERATED_BY", f"{ns}gen"),
            (f"{ns}out", "PRODUCED_BY", f"{ns}run-1"),
            (f"{ns}run-1", "USED", f"{ns}gen"),
            (f"{ns}run-1", "USED", f"{ns}seeds"),
        ]
    )
    generated = graph["rel_props"][(f"{ns}out", "GENERATED_BY", f"{ns}gen")]
    assert generated["records"] == 90 and generated["run"] == f"{ns}run-1"
    assert generated["prompt_template"] == "qa-v1"
    assert graph["rel_props"][(f"{ns}run-1", "USED", f"{ns}gen")]["role"] == "generator"
    assert not (tmp_path / "spool").exists()


def test_a_failed_run_is_recorded_as_failed(
    store: Store, neo4j_settings: Settings, ns: str, tmp_path: Path
) -> None:
    with (
        sdk.Recorder(sdk.Neo4jSink(neo4j_settings, spool=tmp_path / "spool")) as recorder,
        pytest.raises(RuntimeError, match="generator crashed"),
    ):
        synthesis(recorder, ns, fail=True)
    run = graph_of(store, ns)["nodes"][f"{ns}run-1"]["props"]
    assert run["status"] == "failed"
    assert run["error"] == "RuntimeError: generator crashed"
    assert f"{ns}out" not in graph_of(store, ns)["nodes"]


def test_decorator_records_each_call_as_a_run(ns: str) -> None:
    sink = sdk.MemorySink()
    recorder = sdk.Recorder(sink)

    @recorder.track("training")
    def train() -> str:
        run = sdk.current_run()
        assert run is not None
        data = run.uses_dataset(f"{ns}data", role="training-data", records=5)
        return run.produces_model(f"{ns}m", trained_on={data: 5}, family="markov")

    assert train() == f"{ns}m"
    assert sdk.current_run() is None
    runs = [r for r in sink.records() if r.get("node") == "run"]
    assert runs[0]["kind"] == "training" and runs[0]["name"].endswith("train")
    assert runs[-1]["status"] == "succeeded"
    trained = [r for r in sink.records() if r.get("edge") == "TRAINED_ON"]
    assert trained == [
        {
            "edge": "TRAINED_ON",
            "from": f"{ns}m",
            "to": f"{ns}data",
            "records": 5,
            "run": runs[0]["id"],
        }
    ]


def test_no_sink_is_an_error_unless_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PROVGRAPH_URL", "PROVGRAPH_SINK", "PROVGRAPH_DISABLED"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(sdk.SinkNotConfigured, match="PROVGRAPH_DISABLED=1"):
        sdk.Recorder()
    monkeypatch.setenv("PROVGRAPH_DISABLED", "1")
    assert isinstance(sdk.Recorder().sink, sdk.NullSink)
    monkeypatch.delenv("PROVGRAPH_DISABLED")
    monkeypatch.setenv("PROVGRAPH_URL", "http://127.0.0.1:9")
    sink = sdk.Recorder().sink
    assert isinstance(sink, sdk.HttpSink) and sink.url == "http://127.0.0.1:9"


def test_invalid_records_are_refused_before_anything_is_sent(ns: str) -> None:
    sink = sdk.MemorySink()
    with (
        pytest.raises(InvalidInput, match="not allowed on a model"),
        sdk.Recorder(sink).run(f"{ns}r") as run,
    ):
        run.uses_model(f"{ns}m", human=True)  # `human` is not a model field
    assert [r["status"] for r in sink.records()] == ["running", "failed"]


def test_neo4j_sink_spools_while_the_database_is_down_then_flushes_in_order(
    store: Store, neo4j_settings: Settings, ns: str, tmp_path: Path
) -> None:
    spool = tmp_path / "events.ndjson"
    down = Settings(neo4j_uri=f"neo4j://127.0.0.1:{free_port()}", home=tmp_path)
    offline = sdk.Neo4jSink(down, spool=spool)
    synthesis(sdk.Recorder(offline), ns)
    assert offline.pending() == 5 and graph_of(store, ns)["nodes"] == {}
    # Another process (here: a sink for the database that is up) drains the same spool.
    online = sdk.Neo4jSink(neo4j_settings, spool=spool)
    assert online.flush() == 5 and not spool.exists()
    graph = graph_of(store, ns)
    assert graph["nodes"][f"{ns}run-1"]["props"]["status"] == "succeeded"
    assert len(graph["rels"]) == 5
    online.close()


def test_spool_keeps_one_copy_per_event_and_replays_are_idempotent(
    store: Store, neo4j_settings: Settings, ns: str, tmp_path: Path
) -> None:
    memory = sdk.MemorySink()
    synthesis(sdk.Recorder(memory), ns)
    spool = sdk.Spool(tmp_path / "s.ndjson")
    for event in memory.events + memory.events:  # every event twice, as after a crash
        spool.append(event)
    assert len(spool) == 5
    sink = sdk.Neo4jSink(neo4j_settings, spool=spool.path)
    assert sink.flush() == 5
    before = graph_of(store, ns)
    for event in memory.events:  # delivered once more: MERGE changes nothing
        sink.emit(event)
    assert graph_of(store, ns)["rels"] == before["rels"]
    assert graph_of(store, ns)["nodes"][f"{ns}run-1"]["props"]["status"] == "succeeded"
    sink.close()


def test_a_late_start_event_does_not_reopen_a_finished_run(store: Store, ns: str) -> None:
    ingest_lines(
        store,
        [
            json.dumps(
                {
                    "node": "run",
                    "id": f"{ns}r",
                    "status": "succeeded",
                    "started_at": "2026-01-01T10:00:00Z",
                }
            )
        ],
    )
    ingest_lines(
        store,
        [
            json.dumps(
                {
                    "node": "run",
                    "id": f"{ns}r",
                    "status": "running",
                    "started_at": "2026-01-01T11:00:00Z",
                }
            )
        ],
    )
    props = graph_of(store, ns)["nodes"][f"{ns}r"]["props"]
    assert props["status"] == "succeeded"
    assert props["started_at"].iso_format().startswith("2026-01-01T10:00:00")


def test_ndjson_run_edges_must_not_dangle(store: Store, ns: str) -> None:
    from provgraph.service.errors import IngestRejected

    lines = [
        json.dumps({"node": "dataset", "id": f"{ns}d"}),
        json.dumps({"edge": "PRODUCED_BY", "from": f"{ns}d", "to": f"{ns}nope"}),
        json.dumps({"edge": "USED", "from": f"{ns}r", "to": f"{ns}d", "role": "seed"}),
        json.dumps({"node": "run", "id": f"{ns}r", "kind": "filtering"}),
    ]
    with pytest.raises(IngestRejected) as caught:
        ingest_lines(store, lines)
    assert [(e.line, "nope" in e.reason) for e in caught.value.errors] == [(2, True)]
    report = ingest_lines(store, lines, skip_invalid=True)
    assert (report.nodes, report.edges) == (2, 1)
    assert graph_of(store, ns)["rels"] == [(f"{ns}r", "USED", f"{ns}d")]
