"""Wait until a freshly launched server answers, or explain why it never will.

Neo4j's maintainers say there is no reliable "ready" signal, so two are combined: the
``Started.`` line in the user log, then a real ``RETURN 1`` on the default database through
the official driver. The process is checked on every poll so a crash fails fast.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import neo4j
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from provgraph.service.errors import LocalServerError

from .credentials import Connection
from .exceptions import StartFailed
from .process import tail

STARTED_LINE = b" Started."
LOG_TAIL_LINES = 30
_POLL_S = 0.25


def _started(log_file: Path, offset: int) -> bool:
    try:
        with log_file.open("rb") as handle:
            handle.seek(offset)
            return any(STARTED_LINE in line for line in handle)
    except FileNotFoundError:
        return False


def answers(conn: Connection, database: str = "neo4j") -> bool:
    """One ``RETURN 1`` attempt; False while the server is not reachable yet.

    An auto-commit query, because the driver's managed transactions retry for 30 s.
    """
    auth = (conn.user, conn.password) if conn.password is not None else None
    try:
        with (
            neo4j.GraphDatabase.driver(conn.uri, auth=auth, connection_timeout=5.0) as driver,
            driver.session(database=database) as session,
        ):
            record = session.run("RETURN 1 AS ok").single()
            return record is not None and record["ok"] == 1
    except AuthError as exc:
        raise LocalServerError(
            f"the local Neo4j refused the stored password ({exc.message}); the store was "
            "initialised with another password. Delete the home's data/ directory to start "
            "over, or start with auth off"
        ) from exc
    except (DriverError, Neo4jError, OSError):
        return False


def wait_ready(
    proc: subprocess.Popen[bytes],
    conn: Connection,
    *,
    log_file: Path,
    log_offset: int,
    timeout: float,
) -> float:
    """Block until the server answers; return the seconds it took.

    Raises :class:`StartFailed` with the log tail if the process exits or ``timeout`` passes.
    """
    began = time.monotonic()
    deadline = began + timeout
    seen_started = False
    while True:
        code = proc.poll()
        if code is not None:
            raise StartFailed(
                f"Neo4j exited during start (exit code {code}).",
                log_tail=tail(log_file, LOG_TAIL_LINES, start=log_offset),
                log_file=str(log_file),
            )
        seen_started = seen_started or _started(log_file, log_offset)
        if seen_started and answers(conn):
            return time.monotonic() - began
        if time.monotonic() >= deadline:
            waiting_for = "RETURN 1 to succeed" if seen_started else "the 'Started.' log line"
            raise StartFailed(
                f"Neo4j did not become ready within {timeout:.0f} s (waiting for {waiting_for}); "
                "it was stopped. A slow machine may need a longer --timeout.",
                log_tail=tail(log_file, LOG_TAIL_LINES, start=log_offset),
                log_file=str(log_file),
            )
        time.sleep(_POLL_S)
