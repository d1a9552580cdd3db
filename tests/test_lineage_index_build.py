"""How the lineage index is built and what it keeps: the CSR matrices filled in place from
batches against a plain edge list, awkward ids, a write racing a build, and the memory
a snapshot must not hold on to (a stale snapshot, old snapshots behind cached answers,
edge-kind filtered copies)."""

from __future__ import annotations

import gc
import json
import logging
import random
import threading
import time
import weakref
from collections import Counter
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import numpy as np
import pytest

from provgraph.service import lineage_index as li
from provgraph.service.errors import StoreUnavailable
from provgraph.service.ingest import ingest_lines
from provgraph.service.lineage_index import (
    MATRICES_KEPT,
    EpochCache,
    LineageIndex,
    Snapshot,
    build_snapshot,
    collect_ids,
    snapshot_from,
)
from provgraph.service.models import LINEAGE_EDGE_KINDS, Direction
from provgraph.service.settings import Settings
from provgraph.service.store import Store

Edge = tuple[int, int, str]  # child position, parent position, kind


def random_edges(n: int, count: int, seed: int) -> list[Edge]:
    """Edges child -> parent with repeats (two edges of one kind, or of two kinds, between
    one pair) and nodes without any."""
    rng = random.Random(seed)
    edges = [
        (c, rng.randrange(n), rng.choice(LINEAGE_EDGE_KINDS))
        for c in (rng.randrange(n) for _ in range(count))
    ]
    edges += [edges[i] for i in range(0, count, 7)]  # the same edge twice
    return edges


def batches_of(ids: list[str], edges: list[Edge], size: int, seed: int) -> list[dict[str, Any]]:
    """``lineage_index_edges`` rows: per batch of ``size`` children, their edges in no
    particular order (Cypher's collect order is not promised)."""
    rng = random.Random(seed)
    rows = []
    for lo in range(0, len(ids), size):
        mine = [e for e in edges if lo <= e[0] < lo + size]
        rng.shuffle(mine)
        rows.append(
            {
                "offset": lo,
                "children": [c - lo for c, _, _ in mine],
                "parents": [ids[p] for _, p, _ in mine],
                "types": [t for _, _, t in mine],
                "next_change": None,
            }
        )
    return rows


def entries(matrix: Any) -> Counter[tuple[int, int, int]]:
    """Every stored entry (row, column, data), repeats counted."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return Counter(zip(rows.tolist(), matrix.indices.tolist(), matrix.data.tolist(), strict=True))


def reachable(edges: list[Edge], root: int, kinds: set[str], upstream: bool) -> list[int]:
    step: dict[int, set[int]] = {}
    for child, parent, kind in edges:
        if kind in kinds:
            a, b = (child, parent) if upstream else (parent, child)
            step.setdefault(a, set()).add(b)
    seen, todo = {root}, [root]
    while todo:
        for nxt in step.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return sorted(seen - {root})


@pytest.mark.parametrize(
    ("width", "hint"),
    [(8, 0), (8, 10), (8, 10_000), (200, 50)],  # grown from nothing / a little / trimmed
    ids=["no-hint", "small-hint", "large-hint", "str-ids"],
)
def test_matrices_hold_every_edge_once_in_both_directions(width: int, hint: int) -> None:
    n = 300
    ids = sorted(f"n{i:0{width}d}" for i in range(n))
    edges = random_edges(n, 900, seed=width + hint)
    keys = collect_ids(iter([ids[:128], ids[128:]]))
    assert keys is not None and keys.dtype.kind == ("S" if width < 60 else "O")
    snapshot = snapshot_from(1, datetime.now(UTC), keys, batches_of(ids, edges, 37, 1), hint)
    assert snapshot is not None and snapshot.edges == len(edges)
    bit = {kind: 1 << i for i, kind in enumerate(LINEAGE_EDGE_KINDS)}
    assert entries(snapshot.up) == Counter((c, p, bit[t]) for c, p, t in edges)
    assert entries(snapshot.down) == Counter((p, c, bit[t]) for c, p, t in edges)
    for matrix in (snapshot.up, snapshot.down):
        assert matrix.indices.dtype == np.int32 and matrix.indptr.dtype == np.int32
        assert matrix.data.dtype == np.int8
        assert matrix.indices.size == len(edges)  # trimmed to the edges, not the hint
        for row in range(n):  # sorted within each row: scipy's BFS needs it
            cut = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
            assert np.all(cut[1:] >= cut[:-1])
    for root in random.Random(2).sample(range(n), 12):
        for direction in Direction:
            upstream = direction is Direction.UPSTREAM
            for kinds in (set(LINEAGE_EDGE_KINDS), {"DERIVED_FROM", "TRAINED_ON"}):
                got = snapshot.closure(root, direction, kinds, None).positions.tolist()
                assert got == reachable(edges, root, kinds, upstream), (root, direction, kinds)


def test_batches_out_of_order_are_refused() -> None:
    ids = ["a", "b", "c", "d"]
    keys = collect_ids(iter([ids]))
    assert keys is not None
    rows = batches_of(ids, [(0, 1, "DERIVED_FROM"), (3, 2, "DERIVED_FROM")], 2, 0)
    with pytest.raises(ValueError, match="ascending offset"):
        snapshot_from(1, datetime.now(UTC), keys, list(reversed(rows)))


def test_an_empty_graph_gives_an_empty_snapshot() -> None:
    keys = collect_ids(iter([]))
    assert keys is not None
    snapshot = snapshot_from(1, datetime.now(UTC), keys, [])
    assert snapshot is not None and snapshot.size == 0 and snapshot.edges == 0
    assert snapshot.position("a") is None


AWKWARD = [
    "a",
    "a:b",  # a prefix of the next ones
    "a:b:c",
    "a b",
    "b:é",
    "b:z",
    "c:日本語のデータセット",
    "d:" + "é" * 31,  # 64 bytes in UTF-8 (the widest held as bytes), 33 characters
    "e:\u00a0nbsp",
    "f:\ufffd",
    "g:%00",
    "g:\\0",
]


@pytest.mark.parametrize("extra", [None, "d:" + "é" * 32], ids=["bytes", "str-objects"])
def test_awkward_ids_find_their_own_positions(extra: str | None) -> None:
    ids = sorted(AWKWARD + ([extra] if extra else []))
    keys = collect_ids(iter([ids[:5], ids[5:]]))
    assert keys is not None
    assert keys.dtype.kind == ("O" if extra else "S")  # 66 bytes do not fit
    empty = snapshot_from(1, datetime.now(UTC), keys, [])
    assert empty is not None
    assert [empty.position(i) for i in ids] == list(range(len(ids)))
    assert empty.id_list(np.arange(len(ids))) == ids
    for absent in ("", "a:", "a:b:c:d", "b:é" + "\0", "a\0", "z", "d:" + "é" * 33):
        assert empty.position(absent) is None, absent
    for probe in ("a:b:", "b:f", "b:é\0", "zz"):  # the cursor of an id held or not
        assert empty.first_after(probe) == sum(i <= probe for i in ids), probe


def test_an_id_ending_in_nul_is_not_merged_with_its_prefix() -> None:
    """numpy's fixed-width bytes drop trailing NULs; such ids are held as str objects."""
    keys = collect_ids(iter([["a", "a\0", "a\0b"]]))
    assert keys is not None and keys.dtype == object
    snapshot = snapshot_from(1, datetime.now(UTC), keys, [])
    assert snapshot is not None
    assert [snapshot.position(i) for i in ("a", "a\0", "a\0b")] == [0, 1, 2]


def test_edges_to_awkward_ids() -> None:
    ids = sorted(AWKWARD)
    n = len(ids)
    edges = [(i, j, "DERIVED_FROM") for i in range(n) for j in range(n) if (i * 5 + j) % 4 == 0]
    keys = collect_ids(iter([ids]))
    assert keys is not None
    snapshot = snapshot_from(1, datetime.now(UTC), keys, batches_of(ids, edges, 5, 3), 3)
    assert snapshot is not None and snapshot.edges == len(edges)
    for root in range(n):
        got = snapshot.closure(root, Direction.UPSTREAM, ["DERIVED_FROM"], None).positions
        assert got.tolist() == reachable(edges, root, {"DERIVED_FROM"}, True)
    stranger = dict(batches_of(ids, edges, n, 0)[0])
    stranger["parents"] = [*stranger["parents"][:-1], ids[0] + "\0"]  # not held
    assert snapshot_from(1, datetime.now(UTC), keys, [stranger]) is None


def chain(ns: str, n: int) -> list[str]:
    lines = [json.dumps({"node": "dataset", "id": f"{ns}d{i:03d}"}) for i in range(n)]
    lines += [
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}d{i:03d}", "to": f"{ns}d{i - 1:03d}"})
        for i in range(1, n)
    ]
    return lines


def test_a_write_during_a_build_throws_the_build_away(
    store: Store, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real write between the id batches and the edge batches: the build must not keep
    a snapshot (its ids miss the new artifact, its edges may name it), and the next one
    has the new edge."""
    ingest_lines(store, chain(ns, 30), alerts=False)
    monkeypatch.setattr(li, "ID_BATCH", 500)  # several batches of each kind
    monkeypatch.setattr(li, "EDGE_BATCH", 400)
    late = f"{ns}d000-late"  # sorts right after the chain's first id: shifts every position
    query = store.query
    written: list[str] = []

    def query_then_write(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "lineage_index_edges" and not written:
            written.append(name)
            ingest_lines(
                store,
                [
                    json.dumps({"node": "dataset", "id": late}),
                    json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}d029", "to": late}),
                ],
                alerts=False,
            )
        return query(name, *args, **kwargs)

    monkeypatch.setattr(store, "query", query_then_write)
    assert build_snapshot(store) is None
    monkeypatch.setattr(store, "query", query)
    index = LineageIndex(min_edges=0, background=False)
    snapshot = index.current(store)
    assert snapshot is not None
    top = snapshot.position(f"{ns}d029")
    assert top is not None
    ancestors = snapshot.id_list(
        snapshot.closure(top, Direction.UPSTREAM, ["DERIVED_FROM"], None).positions
    )
    assert late in ancestors and len([a for a in ancestors if a.startswith(ns)]) == 30


def test_a_stale_snapshot_is_let_go_before_the_rebuild(
    store: Store, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a write has moved the epoch, no answer can come from the old snapshot: it is
    dropped before the next build reads anything, not held beside it until the end."""
    ingest_lines(store, chain(ns, 12), alerts=False)
    index = LineageIndex(min_edges=0, background=False)
    first = index.current(store)
    assert first is not None and index.current(store) is first
    old = weakref.ref(first)
    del first
    ingest_lines(store, [json.dumps({"node": "source", "id": f"{ns}later"})], alerts=False)
    query = store.query
    alive_during_build: list[bool] = []

    def watching(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "lineage_index_ids" and not alive_during_build:
            gc.collect()
            alive_during_build.append(old() is not None)
        return query(name, *args, **kwargs)

    monkeypatch.setattr(store, "query", watching)
    fresh = index.current(store)
    assert alive_during_build == [False]
    assert fresh is not None and fresh.position(f"{ns}later") is not None


def test_cached_answers_do_not_keep_old_snapshots(store: Store, ns: str) -> None:
    ingest_lines(store, chain(ns, 12), alerts=False)
    index = LineageIndex(min_edges=0, background=False)
    cache = EpochCache()
    computed: list[str] = []

    def get(key: str) -> list[str]:
        def compute() -> list[str]:
            computed.append(key)
            return [key]

        return cache.get(store, key, compute, size=len, index=index)

    first = index.current(store)
    assert first is not None
    for key in ("a", "b", "c", "a"):
        assert get(key) == [key]
    assert computed == ["a", "b", "c"]
    old = weakref.ref(first)
    del first
    ingest_lines(store, [json.dumps({"node": "source", "id": f"{ns}later"})], alerts=False)
    assert get("a") == ["a"] and computed[-1] == "a"  # the write retired the cached answer
    gc.collect()
    assert old() is None  # "b" and "c" were still cached, but not their snapshot
    get("d")
    assert sorted(slot[1] for slot in cache._entries) == ["a", "d"]  # never hits again: gone
    assert get("d") == ["d"] and computed.count("d") == 1


def test_edge_kind_filters_are_bounded_and_stay_right() -> None:
    n = 120
    ids = [f"n{i:03d}" for i in range(n)]
    edges = random_edges(n, 400, seed=5)
    keys = collect_ids(iter([ids]))
    assert keys is not None
    snapshot = snapshot_from(1, datetime.now(UTC), keys, batches_of(ids, edges, 50, 2))
    assert isinstance(snapshot, Snapshot)
    subsets = [set(c) for r in (1, 2, 3, 4) for c in combinations(LINEAGE_EDGE_KINDS, r)]
    for _ in range(2):  # a second round rebuilds what was let go
        for kinds in subsets:
            for direction in Direction:
                upstream = direction is Direction.UPSTREAM
                for root in (3, 60, 119):
                    got = snapshot.closure(root, direction, kinds, None).positions.tolist()
                    assert got == reachable(edges, root, kinds, upstream)
                    bounded = snapshot.closure(root, direction, kinds, 2).positions.tolist()
                    assert set(bounded) <= set(got)
                assert len(snapshot._matrices) <= MATRICES_KEPT


def test_closing_the_store_waits_for_a_build_and_stops_it(
    neo4j_settings: Settings, store: Store, ns: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The driver must not close a connection a background build is still using (it sent
    GOODBYE on it mid-query and failed with BufferError): close waits, the build stops at
    its next query, quietly."""
    ingest_lines(store, chain(ns, 5), alerts=False)
    own = Store.connect(neo4j_settings)
    real_query = own.query
    started = threading.Event()
    builders: list[threading.Thread] = []

    def slow_query(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "lineage_index_ids" and not started.is_set():
            builders.append(threading.current_thread())
            started.set()
            deadline = time.monotonic() + 10
            while not own.closing and time.monotonic() < deadline:
                time.sleep(0.01)
        return real_query(name, *args, **kwargs)

    own.query = slow_query  # type: ignore[method-assign]
    index = LineageIndex(min_edges=0, background=True)
    with caplog.at_level(logging.WARNING, logger="provgraph"):
        assert index.current(own) is None  # the build runs in the background
        assert started.wait(10)
        own.close()
    (builder,) = builders
    assert not builder.is_alive()
    assert index.status()["building"] is False and "epoch" not in index.status()
    assert not [r for r in caplog.records if "build failed" in r.getMessage()]
    with pytest.raises(StoreUnavailable):
        real_query("ping")
    assert own.start_worker(lambda: None, name="late") is False


def test_closures_asked_from_many_threads_are_computed_on_the_closure_threads() -> None:
    """Request threads hand closures to ``CLOSURE_THREADS`` threads (so glibc keeps BFS
    temporaries in that many arenas, not one per request thread); answers stay right."""
    n = 300
    ids = sorted(f"n{i:04d}" for i in range(n))
    edges = random_edges(n, 900, seed=11)
    keys = collect_ids(iter([ids]))
    assert keys is not None
    snapshot = snapshot_from(1, datetime.now(UTC), keys, batches_of(ids, edges, 50, 3))
    assert snapshot is not None
    computed_on: set[str] = set()
    compute = snapshot._closure

    def spying(*args: Any) -> Any:
        computed_on.add(threading.current_thread().name)
        return compute(*args)

    snapshot._closure = spying  # type: ignore[method-assign]
    kinds = set(LINEAGE_EDGE_KINDS)
    wrong: list[int] = []

    def ask(root: int) -> None:
        for direction in Direction:
            got = snapshot.closure(root, direction, kinds, None).positions.tolist()
            if got != reachable(edges, root, kinds, direction is Direction.UPSTREAM):
                wrong.append(root)

    threads = [threading.Thread(target=ask, args=(root,)) for root in range(0, n, 15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert wrong == []
    assert computed_on and all(name.startswith("provgraph-closure") for name in computed_on)
    assert len(computed_on) <= li.CLOSURE_THREADS
