"""The named queries: pruning plans, no path enumeration, documented and used."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provgraph import cypher
from provgraph.service import lineage
from provgraph.service.artifacts import get_artifact
from provgraph.service.ingest import ingest_lines
from provgraph.service.lineage_index import driver_iso
from provgraph.service.models import LINEAGE_EDGE_KINDS, LineageEdge
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


def _subgraph_case(ns: str) -> list[str]:
    """A small graph whose edges carry validity bounds (datetimes on edges and nodes)."""
    lines = [
        json.dumps({"node": "dataset", "id": f"{ns}d{i}", "attrs": {"i": i}}) for i in range(4)
    ]
    lines += [
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}d1", "to": f"{ns}d0"}),
        json.dumps(
            {
                "edge": "DERIVED_FROM",
                "from": f"{ns}d2",
                "to": f"{ns}d1",
                "valid_from": "2020-01-01T12:00:00.5+02:00",
                "valid_to": "2999-01-01T00:00:00Z",
            }
        ),
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}d3", "to": f"{ns}d2"}),
    ]
    return lines


def _ends(edge: LineageEdge) -> tuple[str, str]:
    return edge.from_, edge.to


def _as_the_driver_reads_them(store: Store, ns: str, graph: lineage.Subgraph) -> None:
    """Every node as get_artifact reads it, every edge as the Cypher lineage page does
    (both decode datetimes through the driver)."""
    for node in graph.nodes:
        detail = get_artifact(store, node.id).model_dump()
        assert node.model_dump() == {key: detail[key] for key in node.model_dump()}
    cypher_page = lineage.lineage(store, f"{ns}d3", limit=100, as_of=datetime.now(UTC))
    assert sorted(graph.edges, key=_ends) == sorted(cypher_page.edges, key=_ends)


def test_subgraph_datetimes_as_text_read_as_the_driver_reads_them(store: Store, ns: str) -> None:
    ingest_lines(store, _subgraph_case(ns), alerts=False)
    graph = lineage.subgraph(store, f"{ns}d3")
    assert graph.nodes[0].id == f"{ns}d3" and graph.total == 4
    assert len(graph.edges) == 3 and graph.complete
    assert all((n.model_extra or {}).get("created_at") for n in graph.nodes)
    _as_the_driver_reads_them(store, ns, graph)


def test_subgraph_reads_datetimes_as_values_when_their_text_has_another_shape(
    store: Store, ns: str
) -> None:
    ingest_lines(store, _subgraph_case(ns), alerts=False)
    # Paris kept local mean time until 1911: the offset has seconds (+00:09:21), a text
    # shape the page decoder does not read, so the query runs again with values.
    with store._driver.session(database=store.database) as session:
        session.run(
            "MATCH (n:Artifact {id: $id}) SET n.created_at = datetime($t)",
            id=f"{ns}d1",
            t="1850-06-01T12:00:00[Europe/Paris]",
        ).consume()
    graph = lineage.subgraph(store, f"{ns}d3")
    historic = next(n for n in graph.nodes if n.id == f"{ns}d1")
    # The text Neo4j gives is one page_props cannot read: only the values query answers.
    assert driver_iso("1850-06-01T12:00:00+00:09:21[Europe/Paris]") is None
    assert (historic.model_extra or {})["created_at"].startswith("1850-06-01T")
    _as_the_driver_reads_them(store, ns, graph)
