"""``neo4j-admin database dump|load`` for the managed local server.

Neo4j Community dumps and loads only a stopped database (online backup is an Enterprise
feature), so both operations stop a running server first, run the admin tool from the same
cached jars against the same home and config, and start the server again as it was (same
ports, same Browser setting). The admin tool is ``org.neo4j.server.startup.
Neo4jAdminCommand``, the class the ``neo4j-admin`` script runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provgraph.service.errors import InvalidInput, LocalServerError
from provgraph.service.settings import DEFAULT_DATABASE

from .config import ADMIN_LAUNCHER, LAUNCHER_HEAP
from .prereqs import find_java
from .server import LocalNeo4j

__all__ = [
    "DumpResult",
    "dump_database",
    "load_database",
    "run_admin",
    "start_again",
    "stop_for_admin",
]

Progress = Callable[[str], None]
_ADMIN_TIMEOUT_S = 3600


@dataclass(frozen=True)
class DumpResult:
    path: Path
    bytes: int
    was_running: bool


def _quiet(_message: str) -> None:
    pass


def run_admin(server: LocalNeo4j, *args: str) -> str:
    java = find_java()
    proc = subprocess.run(
        [
            str(java),
            LAUNCHER_HEAP,
            "-cp",
            f"{server.config.lib_dir}{os.sep}*",
            ADMIN_LAUNCHER,
            *args,
        ],
        env=server.config.environment(),
        cwd=server.home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=_ADMIN_TIMEOUT_S,
        check=False,
    )
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-15:])
        raise LocalServerError(
            f"neo4j-admin {' '.join(args[:2])} failed (exit code {proc.returncode}):\n{tail}"
        )
    return output


def stop_for_admin(
    server: LocalNeo4j,
    say: Progress,
    why: str = "Neo4j Community dumps and loads only a stopped database",
) -> tuple[LocalNeo4j | None, int | None]:
    """Stop the server if it runs; returns how to start it again (None if it was stopped)."""
    state = server._live_state()
    if state is None:
        return None, None
    say(f"{why}: stopping it (pid {state.pid}); it starts again afterwards")
    again = LocalNeo4j(
        server.settings,
        home=server.home,
        bolt_port=state.bolt_port,
        http_port=state.http_port,
        heap=server.config.heap,
        pagecache=server.config.pagecache,
        auth=state.auth,
        http=state.http,
        browser=state.browser,
        version=state.version,
        extra_config=server.config.extra,
    )
    server.stop()
    return again, state.pid


def start_again(again: LocalNeo4j | None, say: Progress) -> None:
    if again is not None:
        say("Starting Neo4j again")
        again.start(progress=say)


def dump_database(
    server: LocalNeo4j,
    target: Path,
    *,
    overwrite: bool = False,
    database: str = DEFAULT_DATABASE,
    progress: Progress | None = None,
) -> DumpResult:
    """Write ``database`` to the archive ``target`` (stopping and restarting the server)."""
    say = progress or _quiet
    target = target.expanduser().absolute()
    if target.exists() and not overwrite:
        raise InvalidInput(f"{target} exists; pass --force to overwrite it")
    if not target.parent.is_dir():
        raise InvalidInput(f"no such directory: {target.parent}")
    if not (server.config.data_dir / "databases" / database).exists():
        raise InvalidInput(f"the local server at {server.home} has no database {database!r} yet")
    server.configure(say)  # the jars and conf the admin tool reads
    again, _ = stop_for_admin(server, say)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".provgraph-dump-") as tmp:
            say(f"Dumping database {database} (neo4j-admin database dump)")
            run_admin(
                server,
                "database",
                "dump",
                database,
                f"--to-path={tmp}",
                "--overwrite-destination=true",
            )
            produced = Path(tmp) / f"{database}.dump"
            if not produced.is_file():
                raise LocalServerError(f"neo4j-admin wrote no {produced.name}")
            os.replace(produced, target)  # atomic: a failed dump never leaves half a file
    finally:
        start_again(again, say)
    return DumpResult(path=target, bytes=target.stat().st_size, was_running=again is not None)


def load_database(
    server: LocalNeo4j,
    source: Path,
    *,
    database: str = DEFAULT_DATABASE,
    progress: Progress | None = None,
) -> bool:
    """Replace ``database`` with the archive ``source``; returns whether the server ran."""
    say = progress or _quiet
    source = source.expanduser().absolute()
    if not source.is_file():
        raise InvalidInput(f"no such dump file: {source}")
    server.configure(say)
    again, _ = stop_for_admin(server, say)
    try:
        with tempfile.TemporaryDirectory(prefix="provgraph-load-") as tmp:
            staged = Path(tmp) / f"{database}.dump"  # the tool reads <database>.dump from a dir
            try:
                staged.symlink_to(source)
            except OSError:
                shutil.copyfile(source, staged)
            say(f"Loading {source.name} into database {database} (neo4j-admin database load)")
            run_admin(
                server,
                "database",
                "load",
                database,
                f"--from-path={tmp}",
                "--overwrite-destination=true",
            )
    finally:
        start_again(again, say)
    return again is not None
