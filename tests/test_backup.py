"""``provgraph db dump`` / ``db load`` on a throwaway local server of this module's own
(they stop and restart it): a dump restores exactly the graph it was taken from."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import cli_runner, free_port, use_managed_home

from provgraph.service.artifacts import get_artifact
from provgraph.service.backup import census
from provgraph.service.errors import NotFound
from provgraph.service.ingest import ingest_lines
from provgraph.service.settings import Settings
from provgraph.service.store import Store


@pytest.fixture(scope="module")
def managed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """A managed server laid out as `provgraph db start` would (home/neo4j, credentials)."""
    from provgraph.service.localdb import LocalNeo4j

    home = tmp_path_factory.mktemp("backup-home")
    server = LocalNeo4j(
        Settings(home=home, cache=Settings.from_env().cache),
        bolt_port=free_port(),
        http_port=free_port(),
        heap="512m",
        pagecache="128m",
        auth=False,  # no set-initial-password run: one JVM start fewer
        http=False,
    )
    server.start(timeout=300)
    try:
        yield server, home
    finally:
        server.stop(timeout=60)


@pytest.fixture()
def cli(
    managed: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    use_managed_home(monkeypatch, managed[1])
    return cli_runner(capsys)


def graph(ns: str, n: int) -> list[str]:
    lines = [json.dumps({"node": "dataset", "id": f"{ns}{i}", "license": "MIT"}) for i in range(n)]
    lines += [
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}{i}", "to": f"{ns}{i - 1}"})
        for i in range(1, n)
    ]
    return lines


def test_dump_then_load_restores_exactly_the_dumped_graph(
    cli: Callable[..., tuple[int, str, str]], managed: tuple[Any, Path], tmp_path: Path
) -> None:
    server, _ = managed
    settings = Settings.from_env()  # the managed server, through its credentials file
    assert settings.managed
    with Store.connect(settings) as store:
        store.ensure_schema()
        ingest_lines(store, graph("keep:", 300))
        before = census(store)
    archive = tmp_path / "graph.dump"

    code, out, err = cli("db", "dump", str(archive))
    assert code == 0, err
    assert "stopped database" in err and "running again" in out
    assert archive.stat().st_size > 0 and server.status().running
    assert cli("db", "dump", str(archive))[0] == 1  # exists: needs --force

    with Store.connect(settings) as store:
        assert census(store) == before
        ingest_lines(store, graph("later:", 50))
        assert census(store) != before

    assert cli("db", "load", str(archive))[0] == 1  # destructive: needs --force
    code, out, err = cli("db", "load", str(archive), "--force")
    assert code == 0, err
    assert "matches the dump's census" in out
    with Store.connect(settings) as store:
        assert census(store) == before
        assert get_artifact(store, "keep:299").licenses == ["MIT"]
        with pytest.raises(NotFound):
            get_artifact(store, "later:0")


def test_dump_and_load_explain_what_to_do_for_remote_servers(
    cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j://db.example.internal:7687")
    code, _, err = cli("db", "dump", str(tmp_path / "x.dump"))
    assert code == 2 and "docker" in err.lower() and "neo4j-admin" in err
    assert cli("db", "load", str(tmp_path / "missing.dump"), "--force")[0] == 2
    monkeypatch.delenv("NEO4J_URI")
    assert cli("db", "load", str(tmp_path / "missing.dump"), "--force")[0] == 1
