"""The named queries: pruning plans, no path enumeration, documented and used."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from provgraph import cypher
from provgraph.service import lineage
from provgraph.service.ingest import ingest_lines
from provgraph.service.models import LINEAGE_EDGE_KINDS
from provgraph.service.store import Store

ROOT = Path(__file__).resolve().parents[1]
LINEAGE_QUERIES = [
    "lineage_upstream",
    "lineage_downstream",
    "lineage_upstream_ids",
    "lineage_downstream_ids",
    "lineage_subgraph",
    "reachable_pairs",
    "license_ancestry",
    "license_ancestry_many",
]
PARAMS = {
    "id": "x",
    "ids": ["x"],
    "edge_kinds": list(LINEAGE_EDGE_KINDS),
    "as_of": None,
    "after": None,
    "limit": 10,
    "depth_bounded": False,
    "starts": [],
    "targets": [],
}


PLAN_CASES = [
    (name, depth)
    for name in LINEAGE_QUERIES
    for depth in ([None, 3] if cypher.DEPTH_MARKER in cypher.load(name) else [None])
]


@pytest.mark.parametrize(("name", "max_depth"), PLAN_CASES)
def test_lineage_queries_plan_a_pruning_bfs(store: Store, name: str, max_depth: int | None) -> None:
    operators = store.explain(name, max_depth=max_depth, **PARAMS)
    expands = [op for op in operators if op.startswith("VarLengthExpand")]
    assert expands, operators
    assert all(op.startswith("VarLengthExpand(Pruning,BFS") for op in expands), operators


def test_path_enumerating_cypher_would_not_get_the_pruning_operator(store: Store) -> None:
    """The check above can fail: the same expansion returning paths plans without pruning."""
    with store._driver.session(database=store.database) as session:
        plan = (
            session.run(
                "EXPLAIN MATCH p = (:Artifact {id: $id})-[:DERIVED_FROM*1..]->(a) RETURN p", id="x"
            )
            .consume()
            .plan
        )
    assert plan is not None
    assert "Pruning" not in json.dumps(plan)


def diamond_ladder(ns: str, diamonds: int) -> list[str]:
    """t0 <- {a_i, b_i} <- t_{i+1}: 3k+1 nodes, 2^k paths from the last node to the top."""
    records: list[dict[str, object]] = [{"node": "dataset", "id": f"{ns}t0"}]
    for i in range(diamonds):
        top, bottom = f"{ns}t{i}", f"{ns}t{i + 1}"
        for middle in (f"{ns}a{i}", f"{ns}b{i}"):
            records.append({"node": "dataset", "id": middle})
            records.append({"edge": "DERIVED_FROM", "from": middle, "to": top})
            records.append({"edge": "DERIVED_FROM", "from": bottom, "to": middle})
        records.append({"node": "dataset", "id": bottom})
    return [json.dumps(r) for r in records]


def test_diamond_ladder_of_40_returns_its_120_ancestors(store: Store, ns: str) -> None:
    report = ingest_lines(store, diamond_ladder(ns, 40))
    assert report.nodes == 121
    answer = lineage.lineage(store, f"{ns}t40", limit=1000)
    assert answer.total == 120 and len(answer.nodes) == 120 and answer.complete
    assert len(answer.edges) == 160  # every edge of the ladder, once
    down = lineage.lineage(store, f"{ns}t0", direction="downstream")  # type: ignore[arg-type]
    assert down.total == 120
    graph = lineage.subgraph(store, f"{ns}t20")
    assert graph.total == 121 and len(graph.edges) == 160
    path = lineage.witness_path(store, f"{ns}t40", f"{ns}t0")
    assert len(path.edges) == 80


def _query_files() -> list[str]:
    return cypher.names()


def test_every_query_file_has_a_header_naming_it() -> None:
    for name in _query_files():
        first = cypher.load(name).splitlines()[0]
        assert re.match(rf"// {name}: \S", first), (
            f"{name}.cypher must start with '// {name}: <purpose>'"
        )


@pytest.mark.parametrize("name", cypher.names())
def test_every_query_is_used_by_the_code_and_documented(name: str) -> None:
    # bench/ runs the baselines provgraph itself never runs (the naive path enumeration).
    code = "\n".join(p.read_text() for d in ("service", "bench") for p in (ROOT / d).rglob("*.py"))
    assert re.search(rf"[\"']{name}[\"']", code), f"{name}.cypher is not used by service/ or bench/"
    docs = (ROOT / "docs" / "queries.md").read_text()
    assert f"`{name}`" in docs, f"{name}.cypher is not documented in docs/queries.md"


def test_no_cypher_outside_the_cypher_package() -> None:
    pattern = re.compile(r"\b(MATCH|MERGE|UNWIND)\s*\(|\bMATCH \(", re.MULTILINE)
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("service", "cli")
        for p in (ROOT / folder).rglob("*.py")
        if pattern.search(p.read_text())
    ]
    assert offenders == []
