"""Fault tolerance against real Neo4j servers, with real faults.

The tests that stop or SIGKILL Neo4j use a throwaway server of their own (never the session
one other tests share): the API answers 503 with Retry-After while it is down and recovers
by itself when it returns; an ingest killed half-way and re-run leaves exactly the expected
graph. On the session server, 8 concurrent writers of overlapping graphs leave no duplicate
and surface no deadlock, and a real deadlock is retried by the driver inside the
transaction function.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import throwaway_neo4j
from fastapi.testclient import TestClient

from provgraph.service.api import create_app
from provgraph.service.backup import Census, census
from provgraph.service.errors import StoreUnavailable
from provgraph.service.ingest import BATCH_SIZE, SINGLE_TX_ELEMENTS, ingest_lines
from provgraph.service.settings import Settings
from provgraph.service.store import Store, Tx

API = "/api/v1"
log = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Settings]]:
    """A Neo4j of this module alone: these tests stop and kill it."""
    home = tmp_path_factory.mktemp("faults-home")
    with throwaway_neo4j(home, heap="512m", pagecache="128m", stop_timeout=60) as started:
        yield started


def layered_dag(ns: str, nodes: int) -> tuple[list[str], set[str], set[tuple[str, str, str]]]:
    """NDJSON lines of a DAG with fan-in 2 (every dataset derives from two earlier ones)."""
    ids = [f"{ns}d{i}" for i in range(nodes)]
    edges = set()
    for i in range(1, nodes):
        edges.add((ids[i], ids[i - 1], "DERIVED_FROM"))
        edges.add((ids[i], ids[i // 2], "DERIVED_FROM")) if i // 2 != i - 1 else None
    lines = [json.dumps({"node": "dataset", "id": i, "records": 1}) for i in ids]
    lines += [
        json.dumps({"edge": t, "from": f, "to": p, "records": 1}) for f, p, t in sorted(edges)
    ]
    return lines, set(ids), edges


def stored_edges(store: Store, edges: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    keys = sorted(edges)
    for start in range(0, len(keys), 5000):
        batch = [{"from": f, "to": t, "type": k} for f, t, k in keys[start : start + 5000]]
        rows = store.query("existing_lineage_edges", edges=batch)
        found.update((r["from"], r["to"], r["type"]) for r in rows)
    return found


def inside(store: Store, ns: str) -> tuple[int, int]:
    """Nodes and relationships under the namespace (audit trail aside)."""
    everything: Census = census(store, with_audit=False)
    outside = census(store, exclude_prefix=ns, with_audit=False)
    return everything.nodes - outside.nodes, everything.relationships - outside.relationships


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


# ------------------------------------------------------------------ server down, then back


def test_api_answers_503_while_neo4j_is_down_and_recovers_by_itself(
    own_server: tuple[Any, Settings], ns: str
) -> None:
    server, settings = own_server
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get(f"{API}/stats").status_code == 200
        assert server.stop(timeout=60)
        for path in (f"{API}/stats", "/readyz", f"{API}/artifacts/{ns}x"):
            down = client.get(path)
            assert down.status_code == 503, down.text
            assert down.headers["content-type"].startswith("application/problem+json")
            assert int(down.headers["retry-after"]) > 0
        write = client.put(f"{API}/artifacts/{ns}x", json={"node": "dataset"})
        assert write.status_code == 503
        assert client.get("/healthz").status_code == 200

        server.start(timeout=300)
        # Same app, same driver: no restart, it answers again once Neo4j does.
        assert wait_for(lambda: client.get(f"{API}/stats").status_code == 200, 60)
        assert client.get("/readyz").status_code == 200
        again = client.put(f"{API}/artifacts/{ns}x", json={"node": "dataset"})
        assert again.status_code == 201, again.text


# ------------------------------------------------------------------ SIGKILL mid-ingest


def test_sigkill_in_the_middle_of_a_large_ingest_then_rerun_gives_the_exact_graph(
    own_server: tuple[Any, Settings], ns: str
) -> None:
    server, settings = own_server
    lines, ids, edges = layered_dag(ns, 16_000)
    assert len(lines) > SINGLE_TX_ELEMENTS  # written batch by batch, not in one transaction
    kill_after = 2 * BATCH_SIZE
    killed: list[int] = []

    def kill_midway(phase: str, done: int, total: int | None) -> None:
        if phase == "write" and done >= kill_after and not killed:
            pid = server.status().pid
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with Store.connect(settings) as store:
        store.ensure_schema()
        before = inside(store, ns)
        with pytest.raises(StoreUnavailable):
            ingest_lines(store, lines, source="big.ndjson", progress=kill_midway, alerts=False)
    assert killed, "the ingest finished before the kill"
    assert wait_for(lambda: not server.status().running, 30)

    server.start(timeout=300)  # recovers the store from its transaction log
    with Store.connect(settings) as store:
        partial_nodes, _ = inside(store, ns)
        assert 0 < partial_nodes - before[0] < len(ids)  # the kill really hit mid-ingest
        report = ingest_lines(store, lines, source="big.ndjson", alerts=False)
        assert report.nodes == len(ids) and report.edges == len(edges)
        nodes_now, rels_now = inside(store, ns)
        # Exactly the file: every node and edge once (no duplicates, none missing).
        assert nodes_now - before[0] == len(ids)
        assert rels_now - before[1] == len(edges)
        assert stored_edges(store, edges) == edges
        rerun = ingest_lines(store, lines, source="big.ndjson", alerts=False)
        assert (rerun.nodes_created, rerun.relationships_created) == (0, 0)


# ------------------------------------------------------------------ concurrency


def test_eight_concurrent_writers_on_overlapping_graphs(store: Store, ns: str) -> None:
    """Each writer loads the same shared chain, its own datasets and its neighbour's (the
    same records the neighbour loads), all deriving from the chain: overlapping nodes and
    edges, racing, twice each."""
    writers = 8
    shared = [f"{ns}shared{i}" for i in range(100)]
    expected_nodes: set[str] = set(shared)
    chain = {(shared[i], shared[i - 1], "DERIVED_FROM") for i in range(1, len(shared))}
    expected_edges = set(chain)

    def own(w: int) -> list[tuple[str, list[str]]]:
        return [
            (f"{ns}w{w}-{j}", [shared[j % len(shared)], shared[(j * 7 + 3) % len(shared)]])
            for j in range(150)
        ]

    files: list[list[str]] = []
    for w in range(writers):
        lines = [json.dumps({"node": "dataset", "id": s, "name": "shared"}) for s in shared]
        lines += [json.dumps({"edge": k, "from": f, "to": t}) for f, t, k in sorted(chain)]
        for node, parents in own(w) + own((w + 1) % writers):
            expected_nodes.add(node)
            lines.append(json.dumps({"node": "dataset", "id": node}))
            for parent in parents:
                expected_edges.add((node, parent, "DERIVED_FROM"))
                lines.append(json.dumps({"edge": "DERIVED_FROM", "from": node, "to": parent}))
        files.append(lines)
    before = inside(store, ns)
    errors: list[BaseException] = []
    start = threading.Barrier(writers)
    reports: list[Any] = []

    def writer(lines: list[str]) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(2):  # and each writes its file twice, racing the others again
                # The write path only: the conflict re-check after each write has its own
                # lock and tests (tests/test_alerts.py).
                reports.append(ingest_lines(store, lines, source="writer", alerts=False))
        except BaseException as exc:
            errors.append(exc)
            log.exception("writer failed: %r", getattr(exc, "code", exc))

    threads = [threading.Thread(target=writer, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors  # no surfaced deadlock or transient error
    assert len(reports) == 2 * writers
    nodes_now, rels_now = inside(store, ns)
    assert nodes_now - before[0] == len(expected_nodes)
    assert rels_now - before[1] == len(expected_edges)
    assert stored_edges(store, expected_edges) == expected_edges
    assert sum(r.nodes_created for r in reports) == len(expected_nodes)
    assert sum(r.relationships_created for r in reports) == len(expected_edges)


def test_a_real_deadlock_is_retried_inside_the_transaction_function(store: Store, ns: str) -> None:
    a, b = f"{ns}lockA", f"{ns}lockB"
    ingest_lines(store, [json.dumps({"node": "dataset", "id": x}) for x in (a, b)], alerts=False)
    meeting = threading.Barrier(2, timeout=20)
    attempts = {"first": 0, "second": 0}
    errors: list[BaseException] = []

    def touch(tx: Tx, node: str, name: str) -> None:
        row = {"id": node, "label": "Dataset", "props": {"name": name}}
        tx.run("upsert_artifacts", rows=[row], now=_now())

    def work(name: str, one: str, two: str) -> None:
        def unit(tx: Tx) -> None:
            attempts[name] += 1
            touch(tx, one, name)  # lock the first node...
            if attempts[name] == 1:
                meeting.wait()  # ...both hold one lock now...
            touch(tx, two, name)  # ...and each wants the other's: a deadlock

        try:
            store.write(unit)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=("first", a, b)),
        threading.Thread(target=work, args=("second", b, a)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(attempts.values()) == [1, 2]  # Neo4j broke the deadlock; the driver retried


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
