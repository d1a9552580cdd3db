"""The managed server's password: generated once, kept in a 0600 file, set before first start.

``<PROVGRAPH_HOME>/credentials.json`` holds ``{"uri", "user", "password", "auth"}``. The
password stays in the file even while auth is switched off, because the store keeps its
hash: turning auth back on must not lock the user out.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
from dataclasses import dataclass
from pathlib import Path

from provgraph.service.errors import LocalServerError

from .config import ADMIN_LAUNCHER, LAUNCHER_HEAP, ServerConfig

USER = "neo4j"
_ALPHABET = string.ascii_letters + string.digits  # no leading "-" that picocli would parse


@dataclass(frozen=True)
class Connection:
    """How to reach a Neo4j server over Bolt."""

    uri: str
    user: str
    password: str | None  # None when auth is off


@dataclass(frozen=True)
class StoredCredentials:
    uri: str
    user: str
    password: str | None
    auth: bool

    def connection(self) -> Connection:
        return Connection(self.uri, self.user, self.password if self.auth else None)


def generate_password(length: int = 32) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def read_credentials(path: Path) -> StoredCredentials | None:
    """The stored credentials, or None if the file does not exist."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise LocalServerError(f"cannot read {path}: {exc}") from exc
    return StoredCredentials(
        uri=str(raw["uri"]),
        user=str(raw.get("user", USER)),
        password=raw.get("password"),
        auth=bool(raw.get("auth", raw.get("password") is not None)),
    )


def write_credentials(path: Path, creds: StoredCredentials) -> None:
    """Write the file atomically with mode 0600, in a directory with mode 0700."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    body = json.dumps(
        {"uri": creds.uri, "user": creds.user, "password": creds.password, "auth": creds.auth},
        indent=2,
    )
    # Created 0600 from the start: the password never sits in a world-readable file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def set_initial_password(java: Path, config: ServerConfig, password: str) -> None:
    """Run ``neo4j-admin dbms set-initial-password`` from the cached jars.

    Only effective before the server's first start: it writes ``data/dbms/auth.ini``, which
    the system database reads when it is created.
    """
    proc = subprocess.run(
        [
            str(java),
            LAUNCHER_HEAP,
            "-cp",
            f"{config.lib_dir}{os.sep}*",
            ADMIN_LAUNCHER,
            "dbms",
            "set-initial-password",
            password,
        ],
        env=config.environment(),  # NEO4J_HOME / NEO4J_CONF point the tool at our conf
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).replace(password, "********")
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise LocalServerError(
            f"neo4j-admin dbms set-initial-password failed (exit code {proc.returncode}):\n{tail}"
        )
