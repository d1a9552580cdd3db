"""`provgraph serve --workers N`: the CLI hands over to uvicorn's supervisor with the app
factory each worker builds, and the decision on tokens travels to the workers."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest

from provgraph.cli.main import run
from provgraph.cli.supervisor import listening_socket
from provgraph.service.api import served_app


def test_workers_exec_the_supervisor_with_the_served_app(monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert first[1:] == ["-m", "provgraph.cli.supervisor", "0.0.0.0", "8000", "3", "info", "off"]
    assert second[1:] == ["-m", "provgraph.cli.supervisor", "127.0.0.1", "8000", "2", "info", "on"]


def test_the_workers_socket_has_nagle_off_for_every_connection() -> None:
    """uvicorn's own shared socket (protocol 0) left Nagle on: +40 ms on small kept-alive
    responses. Connections accepted on ours have TCP_NODELAY, as asyncio sets it
    for sockets it creates itself."""
    listener = listening_socket("127.0.0.1", 0)
    listener.listen()
    client = socket.create_connection(listener.getsockname()[:2])
    accepted, _ = listener.accept()
    try:
        assert accepted.proto == socket.IPPROTO_TCP
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert listener.get_inheritable()  # the workers receive it
    finally:
        for sock in (accepted, client, listener):
            sock.close()


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


def test_the_api_process_does_not_load_dataframe_libraries() -> None:
    """The driver would import pandas and pyarrow (~100 MB per API process) only for
    DataFrame query values; the API loads neither, and both still import afterwards.
    Nor does it load httpx (~5 MB with the CLI libraries it imports) before a webhook is
    due."""
    probe = (
        "import sys, provgraph.service.api\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'httpx', 'rich') if m in sys.modules))\n"
        "import pyarrow, neo4j\n"
        "print(pyarrow.__name__, neo4j.__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "pyarrow neo4j"]
