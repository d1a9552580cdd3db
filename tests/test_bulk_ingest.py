"""The bulk initial load (neo4j-admin import) against the transactional ingest, on real servers.

Two throwaway local servers of this module's own: one managed the way `provgraph db start`
runs it (the bulk import stops and restarts it), one for the transactional reference load.
The same NDJSON (the shipped example, a generated benchmark S graph, and records that are
awkward for CSV) is loaded once each way; the two graphs must be identical, node by node and
relationship by relationship, apart from the instants the loads ran at.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import awkward_records, cli_runner, free_port, throwaway_neo4j, use_managed_home
from neo4j.time import DateTime

from bench.enrich import enrich, write_ndjson
from bench.supply_chain import generate
from provgraph.service.backup import census, graph_contents
from provgraph.service.bulk_ingest import bulk_ingest
from provgraph.service.errors import (
    BulkImportRefused,
    CycleRefused,
    IngestRejected,
    ProvgraphError,
)
from provgraph.service.ingest import ingest_lines
from provgraph.service.localdb.config import configured_memory
from provgraph.service.settings import Settings
from provgraph.service.store import Store

SOURCE = "bulk-test.ndjson"


@pytest.fixture(scope="module")
def managed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A managed server laid out as `provgraph db start` would (home/neo4j, credentials)."""
    from provgraph.service.localdb import LocalNeo4j

    home = tmp_path_factory.mktemp("bulk-home")
    settings = Settings(home=home, cache=Settings.from_env().cache)
    server = LocalNeo4j(
        settings,
        bolt_port=free_port(),
        http_port=free_port(),
        heap="1g",
        pagecache="256m",
        auth=False,
        http=False,
    )
    server.start(timeout=300)
    try:
        yield settings
    finally:
        LocalNeo4j(settings).stop(timeout=60)  # the server the import restarted


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A second empty server for the transactional load."""
    home = tmp_path_factory.mktemp("bulk-reference")
    with throwaway_neo4j(home, heap="1g", pagecache="256m", stop_timeout=60) as (_, settings):
        yield settings


@pytest.fixture(scope="module")
def input_file(tmp_path_factory: pytest.TempPathFactory, example_file: Path) -> Path:
    path = tmp_path_factory.mktemp("bulk-input") / SOURCE
    bench_file = path.with_name("bench-s.ndjson")
    graph = generate(10_000, seed=42)
    write_ndjson(enrich(graph, prefix="bench:", seed=42), str(bench_file))
    with path.open("w", encoding="utf-8") as out:
        out.write(example_file.read_text(encoding="utf-8"))
        out.write("\n")  # a blank line: counted, skipped
        out.writelines(json.dumps(r) + "\n" for r in awkward_records())
        out.write(bench_file.read_text(encoding="utf-8"))
    return path


def _errors(load: Callable[[], object]) -> tuple[str, Any]:
    with pytest.raises(ProvgraphError) as caught:
        load()
    exc = caught.value
    if isinstance(exc, IngestRejected):
        return type(exc).__name__, [(e.line, e.reason) for e in exc.errors]
    if isinstance(exc, CycleRefused):
        return type(exc).__name__, (exc.line, exc.path)
    return type(exc).__name__, exc.detail


def _cycle_file(tmp: Path) -> Path:
    ns = f"c{uuid.uuid4().hex[:6]}:"
    records = [{"node": "dataset", "id": f"{ns}{i}"} for i in range(4)]
    records += [
        {"edge": "DERIVED_FROM", "from": f"{ns}{i}", "to": f"{ns}{(i + 1) % 3}"} for i in range(3)
    ]
    records += [{"edge": "DERIVED_FROM", "from": f"{ns}3", "to": f"{ns}0"}]
    path = tmp / "cycle.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_bulk_refuses_bad_input_exactly_as_ingest_and_writes_nothing(
    managed: Settings, example_file: Path, tmp_path: Path
) -> None:
    bad = example_file.with_name("bad-input.ndjson")
    cyclic = _cycle_file(tmp_path)
    with Store.connect(managed) as store:
        store.ensure_schema()
        for path in (bad, cyclic):
            with path.open("rb") as handle:
                lines = handle.readlines()
            normal = _errors(lambda lines=lines, p=path: ingest_lines(store, lines, source=p.name))
            for processes in (1, 2):  # the parse in one process and split in two
                bulk = _errors(
                    lambda p=path, n=processes: bulk_ingest(
                        managed, p, source=p.name, processes=n, part_bytes=1
                    )
                )
                assert bulk == normal
        assert normal[0] == "CycleRefused" and len(normal[1][1]) == 4
        assert census(store).nodes == 1  # the lock node only: nothing was written


def _plain(value: Any, window: tuple[datetime, datetime]) -> Any:
    """A comparable form; instants inside the load's window become '<load time>'."""
    if isinstance(value, DateTime):
        native = value.to_native()
        if window[0] <= native <= window[1]:  # its offset still counts (Z as +00:00)
            return ("<load time>", value.utcoffset(), str(value.tzinfo))
        return ("datetime", native.isoformat(), str(value.tzinfo))
    if isinstance(value, list):
        return tuple(_plain(v, window) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v, window)) for k, v in value.items()))
    return value


def _contents(settings: Settings, window: tuple[datetime, datetime]) -> list[Any]:
    with Store.connect(settings) as store:
        rows = graph_contents(store)
    audit_ids = {r["props"]["id"] for r in rows if r["labels"] == ["AuditEvent"]}
    found = []
    for row in rows:
        props = dict(row["props"])
        if row["labels"] is not None and "AuditEvent" in row["labels"]:
            props["id"] = "<audit id>"
        if row["labels"] == ["ProvgraphLock"] and "epoch" in props:
            props["epoch"] = "<write count>"  # one per write transaction
        start, end = row["start"], row["end"]
        if start is not None:  # an end as (sorted labels, key)
            start = [sorted(start[0]), "<audit id>" if start[1] in audit_ids else start[1]]
            end = [sorted(end[0]), end[1]]
        found.append(
            _plain(
                {
                    "labels": sorted(row["labels"] or []),
                    "type": row["type"],
                    "props": props,
                    "start": start,
                    "end": end,
                },
                window,
            )
        )
    return sorted(found, key=repr)


def test_bulk_import_writes_exactly_the_graph_ingest_writes(
    managed: Settings, reference: Settings, input_file: Path
) -> None:
    began = datetime.now(UTC)
    with Store.connect(reference) as store, input_file.open("rb") as handle:
        store.ensure_schema()
        # Alerts are left out of the comparison: their re-check is the same function
        # (`with_alerts`) after either load and has tests of its own; here it only made the
        # run long (its risk half was quadratic in the ancestry until 2026-12-02).
        normal = ingest_lines(store, handle, source=SOURCE, alerts=False)
    normal_window = (began, datetime.now(UTC))

    began = datetime.now(UTC)
    # The parse split in two (test_import_files: the same files as in one process).
    bulk = bulk_ingest(managed, input_file, source=SOURCE, alerts=False, processes=2, part_bytes=1)
    bulk_window = (began, datetime.now(UTC))
    # Restarted as it ran (the heap and page cache this module gave it), not with defaults.
    assert configured_memory(managed.home / "neo4j" / "conf") == ("1g", "256m")

    keep = {"lines", "nodes", "edges", "nodes_created", "relationships_created", "skipped"}
    assert bulk.model_dump(include=keep) == normal.model_dump(include=keep)
    assert bulk.alerts is None and normal.alerts is None
    expected = _contents(reference, normal_window)
    got = _contents(managed, bulk_window)
    missing = list((Counter(expected) - Counter(got)).elements())[:5]
    extra = list((Counter(got) - Counter(expected)).elements())[:5]
    assert (missing, extra) == ([], [])
    assert got == expected
    assert len(got) > 50_000  # the S graph is in it

    with Store.connect(managed) as store:
        stamps = graph_contents(store)
    created = {
        r["props"]["created_at"] for r in stamps if r["labels"] and "Artifact" in r["labels"]
    }
    assert len(created) == 1  # one instant for the whole load, as ingest
    lock = [r["props"] for r in stamps if r["labels"] == ["ProvgraphLock"]]
    # The import moves the epoch once, and the write of the values CSV cannot carry once more.
    assert [p["epoch"] for p in lock if p["id"] == "lineage"] in ([1], [2])


@pytest.fixture()
def cli(
    managed: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    use_managed_home(monkeypatch, managed.home)
    return cli_runner(capsys)


def test_bulk_refuses_a_database_that_is_not_empty_and_changes_nothing(
    cli: Callable[..., tuple[int, str, str]], managed: Settings, example_file: Path
) -> None:
    with Store.connect(managed) as store:
        if census(store).nodes <= 1:  # run alone: give it something to protect
            ingest_lines(store, [json.dumps({"node": "dataset", "id": "keep:me"})])
        before = census(store)
    code, _, err = cli("ingest", str(example_file), "--bulk")
    assert code == 1 and "not empty" in err
    with Store.connect(managed) as store:
        assert census(store) == before
    with pytest.raises(BulkImportRefused):
        bulk_ingest(managed, example_file)


def test_bulk_refuses_remote_servers_stdin_and_skip_invalid(
    cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch, example_file: Path
) -> None:
    assert cli("ingest", str(example_file), "--bulk", "--skip-invalid")[0] == 2
    assert cli("ingest", "-", "--bulk")[0] == 2
    monkeypatch.setenv("NEO4J_URI", "neo4j://db.example.internal:7687")
    code, _, err = cli("ingest", str(example_file), "--bulk")
    assert code == 1 and "NEO4J_URI is set" in err


def test_a_failed_import_puts_the_database_back_and_restarts_the_server(
    managed: Settings, tmp_path: Path
) -> None:
    """The importer itself fails (a relationship to a node no file defines): the database
    files moved aside come back and the server runs again, graph unchanged."""
    from provgraph.service.errors import LocalServerError
    from provgraph.service.localdb import LocalNeo4j
    from provgraph.service.localdb.imports import import_database

    with Store.connect(managed) as store:
        before = census(store)
    nodes = tmp_path / "nodes.csv"
    nodes.write_text('id:ID(Artifact)\n"x:1"\n', encoding="utf-8")
    rels = tmp_path / "rels.csv"
    rels.write_text(':START_ID(Artifact),:END_ID(Artifact)\n"x:1","x:missing"\n', encoding="utf-8")
    server = LocalNeo4j(managed)
    with pytest.raises(LocalServerError):
        import_database(
            server,
            nodes=[("Artifact:Dataset", nodes)],
            relationships=[("DERIVED_FROM", rels)],
            multiline=[],
            report_file=tmp_path / "import.report",
        )
    assert LocalNeo4j(managed).status().running
    with Store.connect(managed) as store:
        assert census(store) == before
