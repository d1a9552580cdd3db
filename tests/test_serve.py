"""`provgraph serve --workers N`: the CLI hands over to uvicorn's supervisor with the app
factory each worker builds, and the decision on tokens travels to the workers."""

from __future__ import annotations

import logging
import os

import pytest

from provgraph.cli.main import run
from provgraph.service.api import served_app


def test_workers_exec_uvicorn_with_the_served_app(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake_exec(path: str, argv: list[str]) -> None:
        calls.append(argv)
        raise SystemExit(0)  # execv does not return

    monkeypatch.setattr(os, "execv", fake_exec)
    monkeypatch.setenv("NEO4J_URI", "neo4j://127.0.0.1:1")
    monkeypatch.delenv("PROVGRAPH_AUTH", raising=False)
    previous = logging.getLogRecordFactory()
    try:
        with pytest.raises(SystemExit):
            run(["serve", "--host", "0.0.0.0", "--workers", "3", "--no-access-log"])
        assert os.environ["PROVGRAPH_AUTH"] == "on"  # beyond loopback: tokens required
        monkeypatch.delenv("PROVGRAPH_AUTH")
        with pytest.raises(SystemExit):
            run(["serve", "--workers", "2"])
        assert os.environ["PROVGRAPH_AUTH"] == "off"  # loopback
    finally:
        logging.setLogRecordFactory(previous)
    first, second = calls
    assert first[1:4] == ["-m", "uvicorn", "provgraph.service.api:served_app"]
    assert "--factory" in first and first[first.index("--workers") + 1] == "3"
    assert first[first.index("--host") + 1] == "0.0.0.0" and "--no-access-log" in first
    assert "--no-access-log" not in second and second[second.index("--workers") + 1] == "2"


def test_served_app_takes_the_token_decision_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j://127.0.0.1:1")
    previous = logging.getLogRecordFactory()
    try:
        monkeypatch.setenv("PROVGRAPH_AUTH", "on")
        assert served_app().state.auth is True
        monkeypatch.setenv("PROVGRAPH_AUTH", "off")
        assert served_app().state.auth is False
    finally:
        logging.setLogRecordFactory(previous)
