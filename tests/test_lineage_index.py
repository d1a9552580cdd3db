"""The in-memory lineage index answers exactly as the Cypher queries do, and retires itself
when the graph changes (a write moves the epoch on; an edge's validity changes in time)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from provgraph.service import lineage as lineage_module
from provgraph.service.ingest import ingest_lines
from provgraph.service.lineage import lineage, lineage_ids, lineage_ids_json
from provgraph.service.lineage_index import EpochCache, LineageIndex, Snapshot, driver_iso
from provgraph.service.models import Direction, Lineage
from provgraph.service.store import Store

KINDS = ("source", "dataset", "model")
# parent kinds allowed per (child kind, edge type)
EDGE_RULES = {
    "dataset": (("DERIVED_FROM", ("dataset", "source")), ("GENERATED_BY", ("model",))),
    "model": (("TRAINED_ON", ("dataset", "source")), ("FINE_TUNED_FROM", ("model",))),
}


def random_dag(ns: str, n: int = 160, seed: int = 7) -> tuple[list[str], list[str]]:
    """NDJSON of a random lineage DAG (parents have lower numbers), with retracted and
    future-dated edges; returns the lines and the node ids."""
    rng = random.Random(seed)
    kinds = ["source"] * 8 + [rng.choice(KINDS) for _ in range(n - 8)]
    ids = [f"{ns}{kind}-{i:03d}" for i, kind in enumerate(kinds)]
    lines = [json.dumps(_node(rng, kind, ids[i])) for i, kind in enumerate(kinds)]
    for child in range(8, n):
        if kinds[child] == "source":
            continue
        for _ in range(rng.randint(1, 4)):
            edge, parent_kinds = rng.choice(EDGE_RULES[kinds[child]])
            parents = [p for p in range(child) if kinds[p] in parent_kinds]
            if not parents:
                continue
            record: dict[str, object] = {
                "edge": edge,
                "from": ids[child],
                "to": ids[rng.choice(parents)],
            }
            if rng.random() < 0.5:
                record["records"] = rng.randint(0, 10**12)
            roll = rng.random()
            if roll < 0.08:
                record["valid_from"], record["valid_to"] = "2001-01-01", "2002-01-01"  # retracted
            elif roll < 0.12:
                record["valid_from"] = "2999-01-01"  # not valid yet
            lines.append(json.dumps(record))
    return lines, ids


def _node(rng: random.Random, kind: str, node_id: str) -> dict[str, object]:
    """A node with a random mix of the property types pages carry (both ways of answering
    must turn each into the same JSON value)."""
    node: dict[str, object] = {"node": kind, "id": node_id}
    if rng.random() < 0.5:
        node["name"] = f"name é {node_id}"
    if kind != "model" and rng.random() < 0.5:
        node["records"] = rng.randint(0, 10**15)
    if kind == "source" and rng.random() < 0.5:
        node["human"] = rng.random() < 0.5
    if rng.random() < 0.3:
        node["attrs"] = {"score": rng.random(), "tags": ["a", "b"], "nested": {"k": None}}
    if kind == "model" and rng.random() < 0.5:
        node["competes_with"] = ["vendor-a", "vendor-b"]
    return node


@pytest.fixture()
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[LineageIndex]:
    """A synchronous index on every graph size, used by lineage() for this test."""
    forced = LineageIndex(min_edges=0, background=False)
    monkeypatch.setattr(lineage_module, "index_for", lambda store: forced)
    yield forced


def same(a: Lineage, b: Lineage) -> bool:
    edges = lambda x: sorted((e.from_, e.to, str(e.model_dump())) for e in x.edges)  # noqa: E731
    return a.model_dump(exclude={"edges"}) == b.model_dump(exclude={"edges"}) and edges(a) == edges(
        b
    )


def test_index_answers_as_cypher_does(store: Store, ns: str, index: LineageIndex) -> None:
    lines, ids = random_dag(ns)
    ingest_lines(store, lines, alerts=False)
    assert index.current(store) is not None
    rng = random.Random(3)
    cases = [
        (direction, depth, kinds, limit)
        for direction in Direction
        for depth in (None, 1, 2)
        for kinds in (
            None,
            ["DERIVED_FROM", "TRAINED_ON"],
            ["GENERATED_BY", "FINE_TUNED_FROM", "TRAINED_ON"],
        )
        for limit in (5, 1000)
    ]
    compared = 0
    for node in rng.sample(ids, 12):
        for direction, depth, kinds, limit in cases:
            kw = {"direction": direction, "max_depth": depth, "edge_kinds": kinds, "limit": limit}
            fast = lineage(store, node, **kw)
            reference = lineage(store, node, as_of=datetime.now(UTC), **kw)  # as_of: Cypher
            assert same(fast, reference), (node, kw)
            if fast.next_cursor:
                second = lineage(store, node, cursor=fast.next_cursor, **kw)
                reference = lineage(
                    store, node, cursor=reference.next_cursor, as_of=datetime.now(UTC), **kw
                )
                assert same(second, reference), (node, kw, "page 2")
            compared += 1
    assert compared == 12 * len(cases)


def test_ids_only_answers_as_the_pages_do(store: Store, ns: str, index: LineageIndex) -> None:
    lines, ids = random_dag(ns, n=80, seed=9)
    ingest_lines(store, lines, alerts=False)
    assert index.current(store) is not None
    for node in random.Random(4).sample(ids, 8):
        for direction in Direction:
            for depth in (None, 2):
                kw = {"direction": direction, "max_depth": depth}
                pages = lineage(store, node, limit=10_000, **kw)
                fast = lineage_ids(store, node, **kw)
                slow = lineage_ids(store, node, as_of=datetime.now(UTC), **kw)  # Cypher
                assert fast == slow, (node, kw)
                assert fast.model_dump_json() == slow.model_dump_json()  # what the API sends
                written = lineage_ids_json(store, node, **kw)  # ids from the keys' bytes
                assert written == fast.model_dump_json(by_alias=True).encode(), (node, kw)
                assert fast.ids == [n.id for n in pages.nodes] and fast.total == pages.total
                assert fast.truncated_reason == pages.truncated_reason
                if fast.total > 2:
                    head = lineage_ids(store, node, limit=2, **kw)
                    tail = lineage_ids(store, node, cursor=head.next_cursor, **kw)
                    assert head.ids + tail.ids == fast.ids and head.truncated_reason == "limit"
                    cypher = lineage_ids(store, node, limit=2, as_of=datetime.now(UTC), **kw)
                    assert cypher == head
                    head_json = lineage_ids_json(store, node, limit=2, **kw)
                    assert json.loads(head_json) == head.model_dump(mode="json")


def test_a_write_retires_the_snapshot(store: Store, ns: str, index: LineageIndex) -> None:
    lines, ids = random_dag(ns, n=40, seed=11)
    ingest_lines(store, lines, alerts=False)
    before = index.current(store)
    assert before is not None
    leaf, top = f"{ns}dataset-new", ids[0]
    added = [
        json.dumps({"node": "dataset", "id": leaf}),
        json.dumps({"edge": "DERIVED_FROM", "from": leaf, "to": top}),
    ]
    ingest_lines(store, added, alerts=False)
    after = index.current(store)
    assert after is not None and after.epoch > before.epoch
    answer = lineage(store, leaf)
    assert [n.id for n in answer.nodes] == [top] and answer.total == 1
    impact = lineage(store, top, direction=Direction.DOWNSTREAM, limit=10_000)
    assert leaf in {n.id for n in impact.nodes}


def test_future_dated_edges_expire_the_snapshot(store: Store, ns: str, index: LineageIndex) -> None:
    soon = datetime.now(UTC) + timedelta(days=3)
    lines = [
        json.dumps({"node": "source", "id": f"{ns}s"}),
        json.dumps({"node": "dataset", "id": f"{ns}d"}),
        json.dumps(
            {
                "edge": "DERIVED_FROM",
                "from": f"{ns}d",
                "to": f"{ns}s",
                "valid_from": soon.isoformat(),
            }
        ),
    ]
    ingest_lines(store, lines, alerts=False)
    snapshot = index.current(store)
    assert isinstance(snapshot, Snapshot)
    assert snapshot.expires_at is not None and snapshot.expires_at <= soon
    assert lineage(store, f"{ns}d").total == 0  # not valid yet
    assert snapshot.fresh(snapshot.epoch, datetime.now(UTC))
    assert not snapshot.fresh(snapshot.epoch, soon + timedelta(seconds=1))
    assert not snapshot.fresh(snapshot.epoch + 1, datetime.now(UTC))


def test_small_graphs_are_left_to_cypher(store: Store) -> None:
    assert LineageIndex(min_edges=10**12).current(store) is None


def test_epoch_cache_keeps_answers_until_a_write(
    store: Store, ns: str, index: LineageIndex
) -> None:
    lines, _ = random_dag(ns, n=30, seed=5)
    ingest_lines(store, lines, alerts=False)
    cache = EpochCache(max_entries=2, max_items=10)
    computed: list[str] = []

    def compute(key: str) -> list[str]:
        computed.append(key)
        return [key]

    def get(key: str, items: int = 1) -> list[str]:
        return cache.get(store, key, lambda: compute(key), size=lambda _: items, index=index)

    assert get("a") == ["a"] and get("a") == ["a"]
    assert computed == ["a"]  # the second answer came from the cache
    get("b"), get("c")  # only two entries are kept: "a" goes
    get("a")
    assert computed == ["a", "b", "c", "a"]
    get("big", items=11), get("big", items=11)  # too big to keep
    assert computed.count("big") == 2
    ingest_lines(store, [json.dumps({"node": "source", "id": f"{ns}late"})], alerts=False)
    get("a")  # the write moved the epoch on: computed again
    assert computed[-1] == "a" and computed.count("a") == 3


def test_epoch_cache_keeps_within_its_total_size(
    store: Store, ns: str, index: LineageIndex
) -> None:
    lines, _ = random_dag(ns, n=30, seed=6)
    ingest_lines(store, lines, alerts=False)
    cache = EpochCache(max_entries=100, max_items=10, max_total=12)
    computed: list[str] = []

    def get(key: str, items: int) -> None:
        cache.get(
            store, key, lambda: computed.append(key) or [key], size=lambda _: items, index=index
        )

    get("a", 5), get("b", 5), get("a", 5)  # 10 of 12: both kept, "a" most recent
    assert computed == ["a", "b"] and cache.status()["size"] == 10
    get("c", 5)  # 15 > 12: the oldest ("b") goes
    assert cache.status() | {"hits": 0, "misses": 0} == {
        "entries": 2,
        "size": 10,
        "hits": 0,
        "misses": 0,
    }
    get("a", 5), get("b", 5)
    assert computed == ["a", "b", "c", "b"]


def test_cache_is_not_used_without_an_index(store: Store) -> None:
    cache = EpochCache()
    calls: list[int] = []
    off = LineageIndex(min_edges=10**12)
    for _ in range(2):
        cache.get(store, "k", lambda: calls.append(1), index=off)
    assert calls == [1, 1]


def test_compact_keys_find_only_what_they_hold() -> None:
    import numpy as np
    import scipy.sparse as sp

    from provgraph.service.lineage_index import _compact

    ids = sorted(["a:1", "a:2", "b:é", "b:z", "c:日本"])
    keys = _compact(ids)
    assert keys.dtype.kind == "S"  # short ids are held as bytes
    empty = sp.csr_matrix((len(ids), len(ids)), dtype=np.int8)
    snapshot = Snapshot(1, datetime.now(UTC), None, keys, empty, empty)
    assert [snapshot.position(i) for i in ids] == list(range(len(ids)))
    assert snapshot.position("a:1-longer-than-any-id") is None  # cut to the width, not found
    assert snapshot.position("a:0") is None
    assert snapshot.first_after("a:1-longer-than-any-id") == 1
    assert ids[3] == "b:é" and snapshot.first_after("b:é") == 4  # code point order: z < é
    assert snapshot.id_list(np.array([3, 4])) == ["b:é", "c:日本"]
    long_ids = _compact(["x" * 100, "y"])
    assert long_ids.dtype == object  # too wide for bytes: kept as strings


def test_ids_json_is_what_json_writes_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import scipy.sparse as sp

    from provgraph.service import lineage_index as module

    monkeypatch.setattr(module, "IDS_JSON_ROWS", 3)  # several chunks, one partly filled
    ids = sorted(["a", "a:1", "b:é", "c:日本", "d:" + "x" * 20, "e:1", "e:22"])
    keys = module._compact(ids)
    empty = sp.csr_matrix((len(ids), len(ids)), dtype=np.int8)
    snapshot = Snapshot(1, datetime.now(UTC), None, keys, empty, empty)
    for picked in ([], [0], [0, 1, 2], [0, 1, 2, 3], list(range(len(ids))), [6, 4, 2]):
        positions = np.array(picked, dtype=np.int64)
        written = snapshot.ids_json(positions)
        assert written == json.dumps([ids[i] for i in picked], ensure_ascii=False).replace(
            ", ", ","
        ).encode("utf-8"), picked
    for escaped in ('a"b', "a\\b", "a\nb", "a\x01b", "a\x00b"):
        odd = module._compact(sorted(["plain", escaped]))
        odd_snapshot = Snapshot(1, datetime.now(UTC), None, odd, empty, empty)
        assert odd_snapshot.ids_json(np.arange(2)) is None, escaped  # the general path writes it
    wide = module._compact(["x" * 100, "y"])
    assert Snapshot(1, datetime.now(UTC), None, wide, empty, empty).ids_json(np.arange(2)) is None


def test_ids_are_collected_batch_by_batch_as_one_sorted_array() -> None:
    from provgraph.service.lineage_index import collect_ids

    keys = collect_ids(iter([["a:1", "a:22"], ["b:333", "b:4444"], ["c:é"]]))
    assert keys is not None and keys.dtype == "S6"  # batches widen to the widest id
    assert [k.decode() for k in keys.tolist()] == ["a:1", "a:22", "b:333", "b:4444", "c:é"]
    long = collect_ids(iter([["a"], ["b" + "x" * 100]]))
    assert long is not None and long.dtype == object and long.tolist() == ["a", "b" + "x" * 100]
    assert collect_ids(iter([["b"], ["a"]])) is None  # not in Python's order: no index
    empty = collect_ids(iter([]))
    assert empty is not None and empty.size == 0


def test_two_edges_between_one_pair_keep_their_own_kinds() -> None:
    """Built straight to CSR, each edge stays one entry: adding up the kinds' bits (as a
    COO conversion does) would make two DERIVED_FROM edges look like a GENERATED_BY one."""
    from provgraph.service.lineage_index import collect_ids, snapshot_from

    keys = collect_ids(iter([["m", "p", "q"]]))
    assert keys is not None
    rows = {  # m -> p twice (two DERIVED_FROM), m -> q (TRAINED_ON), p -> q (GENERATED_BY)
        "offset": 0,
        "children": [0, 0, 0, 1],
        "parents": ["p", "p", "q", "q"],
        "types": ["DERIVED_FROM", "DERIVED_FROM", "TRAINED_ON", "GENERATED_BY"],
        "next_change": None,
    }
    snapshot = snapshot_from(1, datetime.now(UTC), keys, [rows])
    assert snapshot is not None and snapshot.edges == 4

    def ancestors(kinds: list[str], root: str = "m") -> list[str]:
        at = snapshot.position(root)
        assert at is not None
        found = snapshot.closure(at, Direction.UPSTREAM, kinds, None).positions
        return snapshot.id_list(found)

    assert ancestors(["DERIVED_FROM"]) == ["p"]
    assert ancestors(["GENERATED_BY"]) == []  # 1 + 1 would have been GENERATED_BY's bit
    assert ancestors(["DERIVED_FROM", "GENERATED_BY"]) == ["p", "q"]
    assert ancestors(["TRAINED_ON", "DERIVED_FROM", "GENERATED_BY", "FINE_TUNED_FROM"]) == [
        "p",
        "q",
    ]
    q = snapshot.position("q")
    assert q is not None
    down = snapshot.closure(q, Direction.DOWNSTREAM, ["GENERATED_BY"], None).positions
    assert snapshot.id_list(down) == ["p"]
    bounded = snapshot.closure(q, Direction.DOWNSTREAM, ["DERIVED_FROM", "GENERATED_BY"], 1)
    assert snapshot.id_list(bounded.positions) == ["p"] and bounded.beyond_depth
    unknown = dict(rows, parents=["p", "p", "q", "zz"])
    assert snapshot_from(1, datetime.now(UTC), keys, [unknown]) is None


def test_a_page_after_a_write_is_not_answered_from_the_old_snapshot(
    store: Store, ns: str, index: LineageIndex
) -> None:
    """The page query reads the epoch with the page: a write since the snapshot sends the
    question to Cypher (and starts the next snapshot), even without asking ``current``."""
    lines, ids = random_dag(ns, n=40, seed=5)
    ingest_lines(store, lines, alerts=False)
    before = index.current(store)
    assert before is not None
    top = ids[0]
    leaf = f"{ns}dataset-late"
    ingest_lines(
        store,
        [
            json.dumps({"node": "dataset", "id": leaf}),
            json.dumps({"edge": "DERIVED_FROM", "from": leaf, "to": top}),
        ],
        alerts=False,
    )
    assert index.latest() is before  # still the old one: nothing asked since the write
    impact = lineage(store, top, direction=Direction.DOWNSTREAM, limit=10_000)
    assert leaf in {n.id for n in impact.nodes}
    reference = lineage(
        store, top, direction=Direction.DOWNSTREAM, limit=10_000, as_of=datetime.now(UTC)
    )
    assert same(impact, reference)
    after = index.latest()
    assert after is not None and after.epoch > before.epoch  # rebuilt on the way


@pytest.mark.parametrize(
    ("cypher_text", "driver_text"),
    [
        ("2026-12-02T04:31:13.813106Z", "2026-12-02T04:31:13.813106000+00:00"),
        ("2026-12-02T04:31:13.8Z", "2026-12-02T04:31:13.800000000+00:00"),
        ("2026-12-02T04:31:13.123456789Z", "2026-12-02T04:31:13.123456789+00:00"),
        ("2026-12-02T04:31:13Z", "2026-12-02T04:31:13.000000000+00:00"),
        ("2026-12-02T04:31:13.813+01:00", "2026-12-02T04:31:13.813000000+01:00"),
        ("2026-12-02T04:31:13.5-03:30[America/St_Johns]", "2026-12-02T04:31:13.500000000-03:30"),
        ("+12026-12-02T04:31:13.813Z", None),  # a shape the driver writes otherwise
        ("2026-12-02T04:31:13.Z", None),
        ("2026-12-02T04:31:13.1234567890Z", None),
        ("2026-12-02T04:31:13.\u0661\u0662Z", None),  # non-ASCII digits
    ],
)
def test_datetime_texts_become_the_drivers_iso_format(
    cypher_text: str, driver_text: str | None
) -> None:
    assert driver_iso(cypher_text) == driver_text


def test_driver_iso_agrees_with_the_driver_on_zoned_datetimes(store: Store) -> None:
    """What the page query's toString gives, turned by driver_iso, is what the driver's
    own decoding of the same value gives (the Cypher queries' answers)."""
    texts = [
        "2026-12-02T04:31:13.813106Z",
        "2026-12-02T04:31:13Z",
        "2026-12-02T04:31:13.123456789+01:00",
        "2026-12-02T04:31:13.5[Europe/Paris]",
    ]
    with store._driver.session(database=store.database) as session:
        rows = session.run(
            "UNWIND $texts AS text WITH datetime(text) AS value "
            "RETURN toString(value) AS cypher, value AS driver",
            texts=texts,
        ).data()
    assert len(rows) == len(texts)
    for row in rows:
        assert driver_iso(row["cypher"]) == row["driver"].iso_format()
