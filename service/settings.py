"""Configuration, read from the environment when asked for (never at import).

Precedence for the database connection:

1. ``NEO4J_URI`` (with ``NEO4J_USER``/``NEO4J_PASSWORD``): any Neo4j 5 server, Docker
   container, cluster or Aura. provgraph never starts or stops such a server.
2. Otherwise the local server that provgraph manages (``provgraph db start``), whose
   address and password live in ``<PROVGRAPH_HOME>/credentials.json`` (mode 0600).

Paths:

- ``PROVGRAPH_HOME`` (default ``$XDG_DATA_HOME/provgraph``, i.e. ``~/.local/share/provgraph``):
  the local server's home (config, data, logs) and the credentials file.
- ``PROVGRAPH_CACHE`` (default ``$XDG_CACHE_HOME/provgraph``, i.e. ``~/.cache/provgraph``):
  the Neo4j jars fetched from Maven Central, shared by every home on the machine.

API limits and security (docs/security.md):

- ``PROVGRAPH_AUTH``: ``auto`` (default: tokens required when ``serve`` listens beyond
  loopback), ``on`` or ``off``.
- ``PROVGRAPH_QUERY_TIMEOUT`` (default 30 s) bounds each read transaction;
  ``PROVGRAPH_WRITE_TIMEOUT`` (default 300 s) each write transaction, lock waits included.
- ``PROVGRAPH_MAX_BODY_BYTES`` (default 4 MiB): JSON request bodies; NDJSON ingest has its
  own, larger limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "neo4j"
DEFAULT_BOLT_PORT = 7687
DEFAULT_HTTP_PORT = 7474


def display_uri(uri: str) -> str:
    """``uri`` fit for messages and logs: any ``user:password@`` part is masked."""
    scheme, sep, rest = uri.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return uri
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


@dataclass(frozen=True)
class Settings:
    """Everything provgraph reads from the environment, resolved once per command or app."""

    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = field(default=None, repr=False)  # never in logs or errors
    database: str = DEFAULT_DATABASE
    home: Path = field(default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "provgraph")
    cache: Path = field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "provgraph")
    query_timeout_s: float = 30.0
    # Synthetic-data risk thresholds (docs/risk.md): flag below this share of human data ...
    risk_min_human_fraction: float = 0.10
    # ... or beyond this many synthetic generations.
    risk_max_generations: int = 2
    write_timeout_s: float = 300.0
    # API security (docs/security.md): "auto" requires tokens when listening beyond loopback.
    auth: str = "auto"
    max_body_bytes: int = 4 * 1024 * 1024

    def __repr__(self) -> str:  # the password stays out, and so do credentials in the URI
        uri = display_uri(self.neo4j_uri) if self.neo4j_uri else None
        return (
            f"Settings(neo4j_uri={uri!r}, neo4j_user={self.neo4j_user!r}, "
            f"database={self.database!r}, home={str(self.home)!r}, auth={self.auth!r})"
        )

    @property
    def managed(self) -> bool:
        """True when provgraph manages its own local server (no ``NEO4J_URI``)."""
        return self.neo4j_uri is None

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.json"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        defaults = cls()
        return cls(
            neo4j_uri=env.get("NEO4J_URI") or None,
            neo4j_user=env.get("NEO4J_USER", "neo4j"),
            neo4j_password=env.get("NEO4J_PASSWORD"),
            database=env.get("NEO4J_DATABASE", DEFAULT_DATABASE),
            home=Path(env["PROVGRAPH_HOME"]) if env.get("PROVGRAPH_HOME") else defaults.home,
            cache=Path(env["PROVGRAPH_CACHE"]) if env.get("PROVGRAPH_CACHE") else defaults.cache,
            query_timeout_s=float(env.get("PROVGRAPH_QUERY_TIMEOUT", "30")),
            risk_min_human_fraction=float(env.get("PROVGRAPH_RISK_MIN_HUMAN_FRACTION", "0.10")),
            risk_max_generations=int(env.get("PROVGRAPH_RISK_MAX_GENERATIONS", "2")),
            write_timeout_s=float(env.get("PROVGRAPH_WRITE_TIMEOUT", "300")),
            auth=env.get("PROVGRAPH_AUTH", "auto").strip().lower() or "auto",
            max_body_bytes=int(env.get("PROVGRAPH_MAX_BODY_BYTES", str(defaults.max_body_bytes))),
        )
