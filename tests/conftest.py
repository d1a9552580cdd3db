"""A real Neo4j for the whole test session, never a mock.

Where the server comes from, in order:
1. ``NEO4J_URI`` (with ``NEO4J_USER``/``NEO4J_PASSWORD``): an existing server. Tests only
   add nodes under their own id prefixes and never wipe it.
2. A Docker engine: a ``neo4j:5.26-community`` container through testcontainers.
3. Otherwise: a throwaway local server managed by provgraph (jars fetched with Maven into
   the user cache), in a temporary home on free loopback ports.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from provgraph.cli.main import run
from provgraph.examples import example_path
from provgraph.service.ingest import ingest_lines
from provgraph.service.settings import Settings
from provgraph.service.store import Store

NEO4J_IMAGE = "neo4j:5.26-community"


CliRun = Callable[..., tuple[int, str, str]]


def cli_runner(capsys: pytest.CaptureFixture[str]) -> CliRun:
    """``provgraph ARGS`` in this process: (exit code, stdout, stderr) of each call."""
    capsys.readouterr()

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke


def use_managed_home(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point the CLI at the managed local server laid out in ``home`` (no ``NEO4J_URI``),
    with a terminal wide enough that its lines are not wrapped."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    monkeypatch.setenv("PROVGRAPH_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "300")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _docker_engine() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextmanager
def throwaway_neo4j(
    home: Path, *, heap: str, pagecache: str, stop_timeout: float = 120.0
) -> Iterator[tuple[Any, Settings]]:
    """A local Neo4j of its own in ``home`` on free loopback ports, no auth, stopped after."""
    from provgraph.service.localdb import LocalNeo4j

    cache = Settings.from_env().cache
    server = LocalNeo4j(
        Settings(home=home, cache=cache),
        home=home / "neo4j",
        bolt_port=free_port(),
        http_port=free_port(),
        heap=heap,
        pagecache=pagecache,
        auth=False,
        http=False,
    )
    connection = server.start(timeout=300)
    try:
        yield server, Settings(neo4j_uri=connection.uri, home=home, cache=cache)
    finally:
        server.stop(timeout=stop_timeout)


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    home = tmp_path_factory.mktemp("provgraph-home")
    base = Settings.from_env()
    if base.neo4j_uri:
        yield Settings(**{**base.__dict__, "home": home})
        return
    if _docker_engine():
        from testcontainers.neo4j import Neo4jContainer

        password = uuid.uuid4().hex
        with Neo4jContainer(NEO4J_IMAGE, password=password) as container:
            yield Settings(
                neo4j_uri=container.get_connection_url(),
                neo4j_user="neo4j",
                neo4j_password=password,
                home=home,
                cache=base.cache,
            )
        return
    with throwaway_neo4j(home, heap="768m", pagecache="256m") as (_, settings):
        yield settings


@pytest.fixture(scope="session")
def store(neo4j_settings: Settings) -> Iterator[Store]:
    with Store.connect(neo4j_settings) as connected:
        connected.ensure_schema()
        yield connected


@pytest.fixture()
def ns() -> str:
    """A fresh id prefix: each test writes only under its own namespace."""
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture(scope="session")
def example_file() -> Path:
    return example_path()


@pytest.fixture(scope="session")
def example_loaded(store: Store, example_file: Path) -> Path:
    """The shipped example graph, loaded once (idempotent, so reloading elsewhere is safe)."""
    with example_file.open("rb") as handle:
        ingest_lines(store, handle, source=example_file.name)
    return example_file


@pytest.fixture()
def env_for_cli(neo4j_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the CLI (which reads the environment) at the test database."""
    assert neo4j_settings.neo4j_uri
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j_uri)
    monkeypatch.setenv("PROVGRAPH_HOME", str(neo4j_settings.home))
    if neo4j_settings.neo4j_password:
        monkeypatch.setenv("NEO4J_USER", neo4j_settings.neo4j_user)
        monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j_password)
    else:
        monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    return neo4j_settings


def pytest_report_header(config: pytest.Config) -> str:
    uri = os.environ.get("NEO4J_URI")
    return f"neo4j: {uri or 'docker container or provgraph-managed local server'}"


def awkward_records() -> list[dict[str, Any]]:
    """Values CSV makes hard: quotes, commas, line breaks, empty strings and lists, list
    elements with the array delimiter; a node given twice (merged), an edge given twice
    (the last wins), runs and run edges, edges with and without valid_from."""
    return [
        {
            "node": "source",
            "id": "odd:src",
            "name": 'a "quoted", comma\nand a new line',
            "human": False,
            "records": 2**62,
            "attrs": {"x": [1, "two"], "y": None},
        },
        {
            "node": "dataset",
            "id": "odd:ds",
            "name": "",
            "license": "MIT AND (Apache-2.0 OR BSD-3-Clause)",
            "notices": ["MIT"],
            "intended_use": "research",
            "modality": "text",
        },
        {
            "node": "model",
            "id": "odd:model",
            "name": "Ünïcode ✓ model",
            "competes_with": [],
            "vendor": "v;1",
            "family": "f",
            "weights": "open",
            "model_type": "llm",
            "org_mau": 5,
        },
        {"node": "model", "id": "odd:model2", "competes_with": ["a;b", "c"], "notices": [""]},
        {"node": "dataset", "id": "odd:ds", "version": "2", "license": "CC-BY-4.0"},
        {
            "edge": "DERIVED_FROM",
            "from": "odd:ds",
            "to": "odd:src",
            "records": 1,
            "transform": "tab\there",
            "valid_from": "2024-01-02",
            "valid_to": "2025-03-04T05:06:07+02:00",
        },
        {"edge": "DERIVED_FROM", "from": "odd:ds", "to": "odd:src", "records": 3, "run": "r1"},
        {
            "edge": "GENERATED_BY",
            "from": "odd:ds",
            "to": "odd:model",
            "prompt_template": "{x}",
            "waivers": [{"license": "MIT", "granted_by": "me", "date": "2024-05-06"}],
        },
        {"edge": "FINE_TUNED_FROM", "from": "odd:model2", "to": "odd:model", "method": "adapter"},
        {"edge": "TRAINED_ON", "from": "odd:model", "to": "odd:src", "split": "train"},
        {
            "node": "run",
            "id": "odd:run",
            "kind": "generation",
            "status": "running",
            "started_at": "2026-01-01T00:00:00Z",
            "params": {"t": 0.7},
        },
        {"node": "run", "id": "odd:run", "status": "succeeded", "ended_at": "2026-01-02T00:00:00Z"},
        {"edge": "USED", "from": "odd:run", "to": "odd:model", "role": "generator"},
        {"edge": "PRODUCED_BY", "from": "odd:ds", "to": "odd:run", "records": 7},
        {"edge": "PRODUCED_BY", "from": "odd:ds", "to": "odd:run", "records": 8},
    ]
