"""Ingest against a real Neo4j: all-or-nothing, idempotent, cycles refused with their path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provgraph.service import artifacts
from provgraph.service.errors import CycleRefused, IngestRejected, NotFound
from provgraph.service.ingest import ingest_lines
from provgraph.service.store import Store


def lines(*records: dict[str, object]) -> list[str]:
    return [json.dumps(r) for r in records]


def chain(ns: str, n: int) -> list[str]:
    """Datasets ns0 <- ns1 <- ... (each DERIVED_FROM the previous one)."""
    nodes = [{"node": "dataset", "id": f"{ns}{i}"} for i in range(n)]
    edges = [
        {"edge": "DERIVED_FROM", "from": f"{ns}{i + 1}", "to": f"{ns}{i}"} for i in range(n - 1)
    ]
    return lines(*nodes, *edges)


def exists(store: Store, artifact_id: str) -> bool:
    try:
        artifacts.get_artifact(store, artifact_id)
    except NotFound:
        return False
    return True


def test_reingesting_a_file_changes_no_count(store: Store, example_loaded: Path) -> None:
    before = artifacts.stats(store)
    with example_loaded.open("rb") as handle:
        report = ingest_lines(store, handle, source="again")
    assert report.nodes_created == 0 and report.relationships_created == 0
    assert artifacts.stats(store) == before


def test_one_bad_line_rejects_the_whole_file(store: Store, ns: str) -> None:
    body = [*chain(ns, 3), '{"node": "dataset", "id": "' + ns + 'bad", "colour": 1}']
    with pytest.raises(IngestRejected) as caught:
        ingest_lines(store, body)
    assert [(e.line, e.reason) for e in caught.value.errors] == [(6, "unknown field 'colour'")]
    assert not any(exists(store, f"{ns}{i}") for i in range(3))


def test_skip_invalid_loads_the_valid_lines_and_reports_the_rest(store: Store, ns: str) -> None:
    body = [*chain(ns, 3), *lines({"edge": "DERIVED_FROM", "from": f"{ns}2", "to": f"{ns}ghost"})]
    report = ingest_lines(store, body, skip_invalid=True)
    assert report.nodes == 3 and report.edges == 2
    assert [s["line"] for s in report.skipped] == [6]
    assert "dangling edge" in report.skipped[0]["reason"]
    assert exists(store, f"{ns}2")


def test_dangling_edge_names_the_missing_end(store: Store, ns: str) -> None:
    body = lines(
        {"node": "dataset", "id": f"{ns}a"},
        {"edge": "DERIVED_FROM", "from": f"{ns}a", "to": f"{ns}zz"},
    )
    with pytest.raises(IngestRejected) as caught:
        ingest_lines(store, body)
    [error] = caught.value.errors
    assert error.line == 2 and f"'{ns}zz'" in error.reason


def test_edges_may_point_at_artifacts_already_in_the_graph(store: Store, ns: str) -> None:
    ingest_lines(store, chain(ns, 2))
    report = ingest_lines(
        store,
        lines(
            {"node": "dataset", "id": f"{ns}new"},
            {"edge": "DERIVED_FROM", "from": f"{ns}new", "to": f"{ns}1"},
        ),
    )
    assert report.relationships_created == 1


def test_wrong_endpoint_kinds_are_refused(store: Store, ns: str) -> None:
    body = lines(
        {"node": "model", "id": f"{ns}m"},
        {"node": "dataset", "id": f"{ns}d"},
        {"edge": "GENERATED_BY", "from": f"{ns}m", "to": f"{ns}d"},
    )
    with pytest.raises(IngestRejected) as caught:
        ingest_lines(store, body)
    assert "GENERATED_BY goes from a dataset to a model" in caught.value.errors[0].reason


def test_a_kind_change_of_an_existing_artifact_is_refused(store: Store, ns: str) -> None:
    ingest_lines(store, lines({"node": "dataset", "id": f"{ns}x"}))
    with pytest.raises(IngestRejected) as caught:
        ingest_lines(store, lines({"node": "model", "id": f"{ns}x"}))
    assert "already a dataset" in caught.value.errors[0].reason


def test_a_cycle_inside_the_file_is_refused_with_its_path(store: Store, ns: str) -> None:
    a, b, c = f"{ns}a", f"{ns}b", f"{ns}c"
    body = lines(
        *({"node": "dataset", "id": i} for i in (a, b, c)),
        {"edge": "DERIVED_FROM", "from": a, "to": b},
        {"edge": "DERIVED_FROM", "from": b, "to": c},
        {"edge": "DERIVED_FROM", "from": c, "to": a},
    )
    with pytest.raises(CycleRefused) as caught:
        ingest_lines(store, body)
    assert caught.value.line == 6
    assert caught.value.path == [c, a, b, c]
    assert not exists(store, a)


def test_a_cycle_through_existing_lineage_is_refused_with_the_full_path(
    store: Store, ns: str
) -> None:
    ingest_lines(store, chain(ns, 4))  # ns3 -> ns2 -> ns1 -> ns0
    closing = lines({"edge": "DERIVED_FROM", "from": f"{ns}0", "to": f"{ns}3"})
    with pytest.raises(CycleRefused) as caught:
        ingest_lines(store, closing)
    assert caught.value.path == [f"{ns}0", f"{ns}3", f"{ns}2", f"{ns}1", f"{ns}0"]


def test_skip_invalid_drops_only_the_edge_that_closes_a_cycle(store: Store, ns: str) -> None:
    body = [*chain(ns, 3), *lines({"edge": "DERIVED_FROM", "from": f"{ns}0", "to": f"{ns}2"})]
    report = ingest_lines(store, body, skip_invalid=True)
    assert report.edges == 2 and [s["line"] for s in report.skipped] == [6]


def test_license_changes_retract_the_old_link(store: Store, ns: str) -> None:
    ingest_lines(store, lines({"node": "dataset", "id": f"{ns}d", "license": "MIT AND CC-BY-4.0"}))
    assert artifacts.get_artifact(store, f"{ns}d").licenses == ["CC-BY-4.0", "MIT"]
    ingest_lines(store, lines({"node": "dataset", "id": f"{ns}d", "license": "CC-BY-NC-4.0"}))
    assert artifacts.get_artifact(store, f"{ns}d").licenses == ["CC-BY-NC-4.0"]


def test_large_inputs_are_written_in_batches(store: Store, ns: str) -> None:
    from provgraph.service import ingest

    n = ingest.SINGLE_TX_ELEMENTS + 500  # past the single-transaction size
    phases: list[tuple[str, int, int | None]] = []
    report = ingest_lines(store, chain(ns, n), progress=lambda *p: phases.append(p))
    assert report.nodes_created == n and report.relationships_created == n - 1
    writes = [p for p in phases if p[0] == "write"]
    assert len(writes) > 2 and writes[-1][1] == writes[-1][2]
    again = ingest_lines(store, chain(ns, n))
    assert again.nodes_created == 0 and again.relationships_created == 0
