"""Cold license and risk reports: the read through the lineage index (closure from the index,
facts by id in batches) gives the same graph and the same reports as the Cypher queries,
whatever the batch size and the order rows come in, and steps aside when the graph changed
since the snapshot."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from provgraph.service import ancestry, risk
from provgraph.service.ingest import ingest_lines
from provgraph.service.licensing.ancestry import GraphBuilder, read_ancestry
from provgraph.service.licensing.kb import load_kb
from provgraph.service.licensing.propagation import LicenseGraph
from provgraph.service.licensing.report import license_report
from provgraph.service.lineage_index import LineageIndex
from provgraph.service.risk_dag import Dag, DagBuilder
from provgraph.service.store import Store

LICENSES = [
    "MIT",
    "Apache-2.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "LicenseRef-openai-terms",
    "LicenseRef-not-in-the-kb",
    None,
]
FAMILIES = ["llama", "gpt", "mistral", None]
VENDORS = ["meta", "openai", "mistral", None]


def licensed_dag(ns: str, n: int = 140, seed: int = 11) -> tuple[list[str], list[str]]:
    """NDJSON of a random DAG with licenses, waivers, record counts, families, vendors and
    human flags, some edges retracted or not yet valid; returns the lines and the models."""
    rng = random.Random(seed)
    kinds = ["source"] * 6 + [rng.choice(["dataset", "dataset", "model"]) for _ in range(n - 6)]
    ids = [f"{ns}{kind[0]}{i:03d}" for i, kind in enumerate(kinds)]
    lines: list[str] = []
    for i, kind in enumerate(kinds):
        record: dict[str, Any] = {"node": kind, "id": ids[i], "name": f"artifact {i}"}
        if (license_id := rng.choice(LICENSES)) is not None:
            record["license"] = license_id
        if kind == "source":
            record["human"] = rng.choice([True, False, None])
            record["records"] = rng.randint(1, 500)
        elif kind == "dataset" and rng.random() < 0.7:
            record["records"] = rng.randint(1, 1000)
        elif kind == "model":
            record["model_type"] = "llm"
            for key, pool in (("family", FAMILIES), ("vendor", VENDORS)):
                if (value := rng.choice(pool)) is not None:
                    record[key] = value
        lines.append(json.dumps({k: v for k, v in record.items()}))
    rules = {
        "dataset": (("DERIVED_FROM", ("dataset", "source")), ("GENERATED_BY", ("model",))),
        "model": (("TRAINED_ON", ("dataset", "source")), ("FINE_TUNED_FROM", ("model",))),
    }
    for child in range(6, n):
        for _ in range(rng.randint(1, 3)):
            edge, parent_kinds = rng.choice(rules[kinds[child]])
            parents = [p for p in range(child) if kinds[p] in parent_kinds]
            if not parents:
                continue
            record = {"edge": edge, "from": ids[child], "to": ids[rng.choice(parents)]}
            if rng.random() < 0.6:
                record["records"] = rng.randint(0, 300)
            if rng.random() < 0.05:
                record["waivers"] = [
                    {
                        "license": "LicenseRef-openai-terms",
                        "granted_by": "legal",
                        "date": "2025-01-01",
                    }
                ]
            roll = rng.random()
            if roll < 0.06:
                record["valid_from"], record["valid_to"] = "2001-01-01", "2002-01-01"
            elif roll < 0.09:
                record["valid_from"] = "2999-01-01"
            lines.append(json.dumps(record))
    return lines, [ids[i] for i, kind in enumerate(kinds) if kind == "model"]


@pytest.fixture()
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[LineageIndex]:
    """A synchronous index on every graph size, used by the cold reports for this test."""
    forced = LineageIndex(min_edges=0, background=False)
    monkeypatch.setattr(ancestry, "index_for", lambda store: forced)
    yield forced


@pytest.fixture()
def graph(store: Store, ns: str, index: LineageIndex) -> list[str]:
    lines, models = licensed_dag(ns)
    ingest_lines(store, lines, alerts=False)
    assert index.current(store) is not None
    # The deepest models first: the largest ancestries.
    return sorted(models, key=lambda m: -int(m[len(ns) + 1 :]))[:6]


def same_graph(a: LicenseGraph, b: LicenseGraph) -> None:
    assert a.ids == b.ids
    assert [vars_of(f) for f in a.nodes.values()] == [vars_of(f) for f in b.nodes.values()]
    for name in ("child", "parent", "kind"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.waivers == b.waivers


def vars_of(facts: Any) -> tuple[Any, ...]:
    return (
        facts.id,
        facts.kind,
        facts.declared_expression,
        facts.declared_ids,
        facts.family,
        facts.name,
        facts.full_props,
    )


def test_index_read_gives_the_cypher_graph_in_batches_smaller_than_the_ancestry(
    store: Store, graph: list[str], index: LineageIndex
) -> None:
    now = datetime.now(UTC)
    for root in graph:
        by_cypher, total, found = read_ancestry(store, [root], now, 250_000, now=False)
        assert found and total == len(by_cypher.nodes) - 1 > 10
        closure = ancestry.indexed_closure(store, [root], 250_000, index=index)
        assert closure is not None and closure.total == total
        for batch in (3, 5_000):
            by_index, total_i, _ = read_ancestry(
                store, [root], now, 250_000, now=True, index=index, batch=batch
            )
            assert total_i == total
            same_graph(by_index, by_cypher)
    many, total_many, _ = read_ancestry(store, graph, now, 250_000, now=True, batch=4)
    reference, total_ref, _ = read_ancestry(store, graph, now, 250_000, now=False)
    assert total_many == total_ref
    same_graph(many, reference)


def test_index_and_cypher_give_identical_license_reports(store: Store, graph: list[str]) -> None:
    kb = load_kb()
    waived = conflicts = 0
    for root in graph:
        cold = license_report(store, root, kb=kb)  # about now: through the index
        reference = license_report(store, root, as_of=datetime.now(UTC), kb=kb)  # Cypher
        assert cold.model_dump(exclude={"as_of"}) == reference.model_dump(exclude={"as_of"})
        waived += len(cold.waived)
        conflicts += len(cold.conflicts)
    assert conflicts > 0  # the graph exercises the rules, not only empty reports


def test_index_and_cypher_give_identical_risk_reports(
    store: Store, graph: list[str], index: LineageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(risk, "FACTS_BATCH", 4)  # many batches per ancestry
    limits = risk.RiskThresholds()
    contaminated = 0
    for root in graph:
        cold = risk._risk_report(store, root, limits, None, index=index)
        reference = risk._risk_report(store, root, limits, datetime.now(UTC))
        assert cold == reference
        contaminated += len(cold.cross_vendor) + len(cold.self_consumption)
    assert contaminated > 0
    together = store.read(
        lambda tx: risk.risk_reports_tx(tx, graph, thresholds=limits, as_of=datetime.now(UTC))
    )
    assert together == {
        root: risk._risk_report(store, root, limits, None, index=index) for root in graph
    }


def test_rows_in_any_order_fold_into_the_same_graph(store: Store, graph: list[str]) -> None:
    now = datetime.now(UTC)
    root = graph[0]
    rows = store.query("license_ancestry", id=root, as_of=now, limit=250_000, raw=True)
    risk_rows = store.query("risk_ancestry", ids=[root], as_of=now, limit=250_000, raw=True)
    first, first_dag = GraphBuilder(root), DagBuilder()
    for row in rows:
        first.add(row)
    for row in risk_rows:
        first_dag.add(row)
    rng = random.Random(5)
    rng.shuffle(rows)
    rng.shuffle(risk_rows)
    second, second_dag = GraphBuilder(root), DagBuilder()
    for row in rows:
        second.add({**row, "edges": rng.sample(row["edges"], len(row["edges"]))})
    for row in risk_rows:
        second_dag.add({**row, "edges": rng.sample(row["edges"], len(row["edges"]))})
    same_graph(first.graph(), second.graph())
    assert same_dag(first_dag.dag(), second_dag.dag())


def same_dag(a: Dag, b: Dag) -> bool:
    return (
        all(
            list(getattr(a, name)) == list(getattr(b, name))
            for name in ("ids", "kind", "human", "records", "vendor", "family", "ptr", "parent")
        )
        and list(a.type) == list(b.type)
        and list(a.edge_records) == list(b.edge_records)
    )


def test_a_write_after_the_snapshot_sends_the_report_to_cypher(
    store: Store, ns: str, index: LineageIndex
) -> None:
    lines = [
        json.dumps({"node": "source", "id": f"{ns}s", "human": True, "license": "CC-BY-NC-4.0"}),
        json.dumps({"node": "dataset", "id": f"{ns}d", "records": 10}),
        json.dumps({"node": "model", "id": f"{ns}m", "model_type": "llm"}),
        json.dumps({"edge": "TRAINED_ON", "from": f"{ns}m", "to": f"{ns}d", "records": 10}),
    ]
    ingest_lines(store, lines, alerts=False)
    snapshot = index.current(store)
    assert snapshot is not None
    closure = ancestry.indexed_closure(store, [f"{ns}m"], 100, index=index)
    assert closure is not None and closure.ids == [f"{ns}m", f"{ns}d"]
    # A new edge moves the epoch: the snapshot no longer describes the graph, so the
    # reports go to Cypher (and the next snapshot is built) and see the new ancestor.
    edge = {"edge": "DERIVED_FROM", "from": f"{ns}d", "to": f"{ns}s", "records": 10}
    ingest_lines(store, [json.dumps(edge)], alerts=False)
    kb = load_kb()
    answer = license_report(store, f"{ns}m", kb=kb)
    assert {c.origin for c in answer.clauses} == {f"{ns}s"}
    assert index.latest() is not snapshot
    limits = risk.RiskThresholds()
    assert risk._risk_report(store, f"{ns}m", limits, None, index=index).human_fraction == 1.0
    stale = ancestry.read_in_batches(
        store, "risk_nodes", closure, DagBuilder, batch=10, as_of=datetime.now(UTC)
    )
    assert stale is None
