"""The bulk initial load: an NDJSON file into an EMPTY database of the managed local server,
through Neo4j's offline importer (``neo4j-admin database import full``).

Same contract as ``ingest_lines`` (the same validation and errors, all or nothing, the same
graph afterwards: see ``import_files``), several times faster for big files, at the price
of a stopped server meanwhile. Refused (``BulkImportRefused``) when ``NEO4J_URI`` names
another server, when the local server is not running, and when the database holds anything
but lock nodes: the importer replaces the whole database, so it may only replace nothing.

Steps: check empty; validate and write the CSV files (the server keeps running); check
empty again; stop, import, start (``localdb.imports``); apply the schema; set the few list
properties CSV cannot carry; verify the counts; re-check alerts as ingest does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from provgraph.service.errors import BulkImportRefused, InvalidInput, LocalServerError
from provgraph.service.import_files import PART_BYTES, ImportFiles, write_import_files
from provgraph.service.ingest import Progress, with_alerts
from provgraph.service.models import LINEAGE_EDGE_KINDS, IngestReport
from provgraph.service.security.audit import WriteAudit
from provgraph.service.settings import Settings
from provgraph.service.store import Store, Tx

__all__ = ["bulk_ingest"]


def _precheck(store: Store) -> int:
    """The lineage epoch of an empty database; refuses a non-empty one."""
    row = store.query("import_precheck")[0]
    if row["nodes"]:
        labels = ", ".join(sorted(row["labels"]))
        raise BulkImportRefused(
            f"the database is not empty ({row['nodes']:,} nodes: {labels}); a bulk import "
            "replaces the whole database, so it only loads into an empty one. Use "
            "`provgraph ingest FILE` (without --bulk) to add to this graph"
        )
    return int(row["epoch"])


def bulk_ingest(
    settings: Settings,
    path: Path,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    alerts: bool = True,
    say: Callable[[str], None] | None = None,
    processes: int | None = None,
    part_bytes: int = PART_BYTES,
) -> IngestReport:
    """Load ``path`` into the empty managed database with neo4j-admin; see the module doc.

    ``progress(phase, done, total)`` hears 'parse', 'check', 'stop', 'import', 'restart',
    'schema'
    and 'alerts'; ``say`` (a callable taking one message) hears what happens to the server.
    ``processes`` and ``part_bytes`` split the parse (``write_import_files``).
    """
    from provgraph.service.localdb import LocalNeo4j
    from provgraph.service.localdb.config import configured_memory
    from provgraph.service.localdb.imports import import_database

    source = source or str(path)
    if not settings.managed:
        raise BulkImportRefused(
            f"NEO4J_URI is set ({settings.neo4j_uri}): a bulk import runs neo4j-admin against "
            "the managed local server's files, so it cannot load a remote or Docker server. "
            "Use `provgraph ingest FILE` without --bulk, or run neo4j-admin import there"
        )
    if not path.is_file():
        raise InvalidInput(f"no such file: {path} (a bulk import reads a file, not stdin)")
    home = settings.home / "neo4j"
    heap, pagecache = configured_memory(home / "conf")
    server = LocalNeo4j(settings, home=home, heap=heap, pagecache=pagecache)
    if not server.status().running:
        raise BulkImportRefused(
            f"the local server at {server.home} is not running: start it with "
            "`provgraph db start` (the bulk import checks that its database is empty)"
        )

    def phase(name: str) -> None:
        if progress is not None:
            progress(name, 0, None)

    with Store.connect(settings) as store:
        epoch = _precheck(store)
    now = datetime.now(UTC)
    audit = WriteAudit(action="ingest", source=source)
    with tempfile.TemporaryDirectory(dir=server.home, prefix=".provgraph-import-") as tmp:
        files = write_import_files(
            path,
            Path(tmp),
            now=now,
            audit=audit,
            epoch=epoch + 1,
            source=source,
            progress=progress,
            processes=processes,
            part_bytes=part_bytes,
        )
        with Store.connect(settings) as store:  # the parse took a while: still empty?
            if _precheck(store) != epoch:
                raise BulkImportRefused("the graph changed during the bulk import's check")
        import_database(
            server,
            nodes=files.nodes,
            relationships=files.relationships,
            multiline=files.multiline,
            report_file=Path(tmp) / "import.report",
            progress=say,
            phase=phase,
        )
    with Store.connect(settings) as store:
        phase("schema")
        store.ensure_schema()
        if files.fixups:
            # Behind the lineage lock, which moves the epoch on: an answer kept per epoch
            # (the lineage index, the API's answer cache) between the restart and this
            # write must not outlive it.
            def fix(tx: Tx) -> None:
                tx.run("lock_lineage", now=now)
                tx.run("upsert_artifacts", rows=files.fixups, now=now)

            store.write(fix)
        _verify(store, files)
        report = IngestReport(
            source=source,
            lines=files.lines,
            nodes=files.artifacts + files.runs,
            edges=files.lineage_edges + files.run_edges,
            nodes_created=files.artifacts + files.licenses + files.runs,
            relationships_created=files.lineage_edges + files.license_links + files.run_edges,
            properties_set=files.properties,
        )
        if alerts:
            phase("alerts")
            report = with_alerts(store, report, files.conflict_ids, files.risk_ids)
    return report


def _verify(store: Store, files: ImportFiles) -> None:
    """The imported graph holds exactly what the files do (the importer counts too, but a
    silently skipped row would be data lost)."""
    row = store.query("stats")[0]
    nodes, rels = row["nodes"], row["relationships"]
    lineage = sum(rels[kind] for kind in LINEAGE_EDGE_KINDS)
    found = (
        nodes["Artifact"],
        nodes["License"],
        nodes["Run"],
        lineage,
        rels["LICENSED_UNDER"],
        rels["PRODUCED_BY"] + rels["USED"],
    )
    wanted = (
        files.artifacts,
        files.licenses,
        files.runs,
        files.lineage_edges,
        files.license_links,
        files.run_edges,
    )
    if found != wanted:
        raise LocalServerError(
            "the imported graph does not hold what was imported (artifacts, licenses, runs, "
            f"lineage edges, license links, run edges): {found} instead of {wanted}"
        )
