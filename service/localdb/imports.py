"""``neo4j-admin database import full`` for the managed local server (the bulk initial load).

The importer writes a new store offline, so the server is stopped around it and started
again as it was (the machinery of ``dumps``). The database it replaces was checked empty
by the caller; its files are still moved aside first and put back if the import or the
restart fails, so a failed bulk load leaves the server as it found it.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from provgraph.service.errors import LocalServerError
from provgraph.service.settings import DEFAULT_DATABASE

from .dumps import run_admin, start_again, stop_for_admin
from .server import LocalNeo4j

__all__ = ["import_database"]

Progress = Callable[[str], None]
# The importer's own caches (off the JVM heap); its default is 90% of the machine's RAM.
IMPORT_OFF_HEAP = "2g"


def _quiet(_message: str) -> None:
    pass


def import_database(
    server: LocalNeo4j,
    *,
    nodes: list[tuple[str, Path]],
    relationships: list[tuple[str, Path]],
    multiline: list[Path],
    report_file: Path,
    database: str = DEFAULT_DATABASE,
    progress: Progress | None = None,
    phase: Callable[[str], None] | None = None,
) -> None:
    """Stop the running server, import the CSV files as ``database``, start it again.

    ``nodes`` pairs labels (``Artifact:Dataset``) with a file, ``relationships`` a type
    with a file; every file starts with its header. ``phase`` is told when the stop, the
    import proper and the restart begin (for timing)."""
    say = progress or _quiet
    server.configure(say)
    if phase is not None:
        phase("stop")
    again, _ = stop_for_admin(
        server, say, "Neo4j imports only into a stopped database (neo4j-admin import)"
    )
    if again is None:
        raise LocalServerError(
            f"the local server at {server.home} stopped before the import could begin; "
            "nothing was imported"
        )
    data = server.config.data_dir
    stores = [data / "databases" / database, data / "transactions" / database]
    aside = data / f".provgraph-before-import-{int(time.time())}"
    aside.mkdir()
    moved: list[tuple[Path, Path]] = []
    try:
        for store in stores:
            if store.exists():
                target = aside / store.parent.name
                store.rename(target)
                moved.append((store, target))
        if phase is not None:
            phase("import")
        args = [f"--nodes={labels}={path}" for labels, path in nodes]
        args += [f"--relationships={kind}={path}" for kind, path in relationships]
        if multiline:
            args += [
                "--multiline-fields-format=v2",
                "--multiline-fields=" + ",".join(str(p) for p in multiline),
            ]
        say(f"Importing into database {database} (neo4j-admin database import full)")
        run_admin(
            server,
            "database",
            "import",
            "full",
            database,
            *args,
            "--overwrite-destination=true",
            "--bad-tolerance=0",
            "--skip-bad-relationships=false",
            "--skip-duplicate-nodes=false",
            f"--max-off-heap-memory={IMPORT_OFF_HEAP}",
            f"--report-file={report_file}",
        )
        if phase is not None:
            phase("restart")
        start_again(again, say)
    except BaseException:
        _put_back(server, moved, stores, again, say)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _put_back(
    server: LocalNeo4j,
    moved: list[tuple[Path, Path]],
    stores: list[Path],
    again: LocalNeo4j,
    say: Progress,
) -> None:
    """After a failed import: the database as it was, and the server running again."""
    with contextlib.suppress(LocalServerError):
        server.stop()
    for store in stores:  # what exists now is the failed import's (the old one is aside)
        if store.exists():
            shutil.rmtree(store)
    for original, target in moved:
        target.rename(original)
    say("The import failed: the database is as it was before; starting Neo4j again")
    start_again(again, say)
