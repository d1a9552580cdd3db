"""An in-memory index of the lineage graph that answers closures (ancestry, impact) in
milliseconds, valid for one graph epoch.

Cypher stays the source of truth: the index is a snapshot of the lineage edges valid at
the instant it was built, as two CSR matrices (child -> parent and parent -> child) over
the artifact ids in id order, and it is used only while

- the graph epoch is the one it was built at (every lineage write moves the epoch on:
  ``lock_lineage``), and
- no edge has become valid or been retracted since (``expires_at``), and
- the question is about now (``as_of`` unset).

Otherwise, and while a new snapshot is being built in the background, the Cypher queries
answer. Graphs with fewer than ``min_edges`` lineage edges are never indexed: Cypher is
fast enough there. ``tests/test_lineage_index.py`` checks every answer against Cypher.

Why: the pruning BFS in Neo4j costs about 20 us a closure node on the 2-core reference
machine (2.5 s for the 123k ancestors of the 1M-node benchmark's deep model), against a
budget of 53 ms; a BFS over CSR arrays takes 5 ms (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from provgraph.service.errors import ProvgraphError
from provgraph.service.heap import release_freed_memory
from provgraph.service.models import LINEAGE_EDGE_KINDS, Direction
from provgraph.service.records import plain
from provgraph.service.shared_read import SharedRead
from provgraph.service.store import Store

__all__ = [
    "INDEX_MIN_EDGES",
    "Closure",
    "EpochCache",
    "LineageIndex",
    "Positions",
    "Snapshot",
    "driver_iso",
    "index_for",
    "page_props",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
T_Num = TypeVar("T_Num", bound=np.generic)

INDEX_MIN_EDGES = 50_000
ID_BATCH = 20_000  # ids per query: the driver decodes a batch into str objects at once
EDGE_BATCH = 5_000  # children per query (about 3 edges each)
RETRY_AFTER_FAILURE_S = 60.0
MATRICES_KEPT = 6  # per snapshot: both directions unfiltered (views) and 4 edge-kind filters
IDS_JSON_ROWS = 65_536  # ids written at a time by ids_json: bounds its temporaries (~2 MB)
_JSON_ESCAPED = np.zeros(256, dtype=bool)  # bytes JSON writes escaped, but NUL (padding)
_JSON_ESCAPED[1:32] = _JSON_ESCAPED[ord('"')] = _JSON_ESCAPED[ord("\\")] = True
_BITS = {kind: 1 << i for i, kind in enumerate(LINEAGE_EDGE_KINDS)}
_ALL_BITS = sum(_BITS.values())

Positions = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Closure:
    """Positions (into ``Snapshot.ids``) of a closure, ascending = id order."""

    positions: Positions
    beyond_depth: bool


@dataclass
class Snapshot:
    """The lineage edges valid at ``built_at``, over the artifact ids in ascending order."""

    epoch: int
    built_at: datetime
    expires_at: datetime | None  # the next instant an edge's validity changes
    ids: npt.NDArray[Any]  # sorted keys: UTF-8 bytes (fixed width) or str objects
    up: sp.csr_matrix  # child -> parent; data: bit of the edge kind
    down: sp.csr_matrix  # parent -> child
    # (matrix, skeleton) per (direction, kinds), most recent last; a matrix of some edge
    # kinds only is a copy of its edges (up to 19 MB at 1M nodes): MATRICES_KEPT at most.
    _matrices: dict[tuple[bool, int], tuple[sp.csr_matrix, sp.csr_matrix]] = field(
        default_factory=dict
    )
    _derived_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def edges(self) -> int:
        return int(self.up.nnz)

    def fresh(self, epoch: int, now: datetime) -> bool:
        return epoch == self.epoch and (self.expires_at is None or now < self.expires_at)

    @property
    def size(self) -> int:
        return int(self.ids.size)

    def positions(self, artifact_ids: list[str]) -> npt.NDArray[np.int64]:
        """Position of each id, -1 where the snapshot does not hold it."""
        if not artifact_ids or not self.size:
            return np.full(len(artifact_ids), -1, dtype=np.int64)
        keys, fits = _as_keys(artifact_ids, self.ids.dtype)
        at = np.minimum(np.searchsorted(self.ids, keys), self.size - 1)
        return np.where((self.ids[at] == keys) & fits, at, -1).astype(np.int64)

    def position(self, artifact_id: str) -> int | None:
        at = int(self.positions([artifact_id])[0])
        return None if at < 0 else at

    def first_after(self, artifact_id: str) -> int:
        """The position of the first id greater than ``artifact_id`` (a key cut to the
        width still finds it: no stored id lies between the cut key and the whole one)."""
        keys, _ = _as_keys([artifact_id], self.ids.dtype)
        return int(np.searchsorted(self.ids, keys[0], side="right"))

    def id_list(self, positions: Positions) -> list[str]:
        return _id_list(self.ids[positions])

    def ids_json(self, positions: Positions) -> bytes | None:
        """The ids at ``positions`` as a JSON array of strings, written from the keys'
        UTF-8 bytes in a few array operations, or None where the general path must write
        them (ids held as str objects, or one that JSON escapes: a quote, a backslash, a
        control character). Why: a str object per id made a 688k-id answer cost ~100 MB
        of short-lived objects, the API's high-water mark at L (docs/benchmarks.md)."""
        if self.ids.dtype.kind != "S":
            return None
        width = self.ids.dtype.itemsize
        parts = [b"["]
        for start in range(0, positions.size, IDS_JSON_ROWS):
            keys = self.ids[positions[start : start + IDS_JSON_ROWS]]
            grid = keys.view(np.uint8).reshape(keys.size, width)
            # NUL pads a key at its end only; one inside a key would be lost below.
            if _JSON_ESCAPED[grid].any() or ((grid[:, :-1] == 0) & (grid[:, 1:] != 0)).any():
                return None
            rows = np.zeros((keys.size, width + 3), dtype=np.uint8)
            rows[:, 0] = rows[:, width + 1] = ord('"')
            rows[:, 1 : width + 1] = grid
            rows[:, width + 2] = ord(",")
            flat = rows.ravel()
            parts.append(flat[flat != 0].tobytes())  # drops the padding: "id",
        if len(parts) > 1:
            parts[-1] = parts[-1][:-1]  # the last comma
        parts.append(b"]")
        return b"".join(parts)

    def matrix(self, direction: Direction, kinds: Iterable[str]) -> sp.csr_matrix:
        """The edges of ``kinds`` in ``direction`` (data: the kind's bit)."""
        return self._derived(direction, kinds)[0]

    def skeleton(self, direction: Direction, kinds: Iterable[str]) -> sp.csr_matrix:
        """``matrix`` with float64 ones as data, in no memory (a zero-stride view) and
        sharing its index arrays: scipy's graph routines convert any other data to float64,
        a copy of every edge on every call (16 ms at 1M nodes, against 0.5 ms for the BFS)."""
        return self._derived(direction, kinds)[1]

    def _derived(
        self, direction: Direction, kinds: Iterable[str]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        bits = sum(_BITS[k] for k in set(kinds))
        key = (direction is Direction.UPSTREAM, bits)
        with self._derived_lock:
            pair = self._matrices.pop(key, None)
            if pair is None:
                base = self.up if direction is Direction.UPSTREAM else self.down
                if bits != _ALL_BITS:
                    base = base.copy()
                    base.data = (base.data & bits).astype(np.int8)
                    base.eliminate_zeros()
                ones = np.broadcast_to(np.float64(1.0), (base.nnz,))
                graph = sp.csr_matrix(
                    (ones, base.indices, base.indptr), shape=base.shape, copy=False
                )
                pair = (base, graph)
            self._matrices[key] = pair  # most recent last
            while len(self._matrices) > MATRICES_KEPT:
                self._matrices.pop(next(iter(self._matrices)))
        return pair

    def closure(
        self, root: int, direction: Direction, kinds: Iterable[str], max_depth: int | None
    ) -> Closure:
        """Ancestors or descendants of position ``root`` (itself excluded), as Cypher's
        ``*1..max_depth`` expansion finds them; ``beyond_depth``: the bound cut something.

        Computed on one of ``CLOSURE_THREADS`` threads, whatever thread asks: a BFS
        allocates two arrays over every node (8 MB at 1M), and glibc keeps such freed
        blocks in the arena of the thread that used them. Run on each of the API's request
        threads, 8 concurrent requests left a worker ~85 MB larger under Q6 (L); the GIL
        serializes most of the work anyway."""
        return (
            _closure_pool().submit(self._closure, root, direction, list(kinds), max_depth).result()
        )

    def _closure(
        self, root: int, direction: Direction, kinds: list[str], max_depth: int | None
    ) -> Closure:
        if max_depth is None:
            graph = self.skeleton(direction, kinds)
            order = breadth_first_order(graph, root, directed=True, return_predecessors=False)
            return Closure(np.sort(order[1:]).astype(np.int64), False)
        matrix = self.matrix(direction, kinds)
        seen = np.zeros(self.size, dtype=bool)
        seen[root] = True
        frontier = np.array([root], dtype=np.int64)
        found: list[Positions] = []
        beyond = False
        for depth in range(max_depth + 1):
            step = np.unique(matrix[frontier].indices)
            step = step[~seen[step]]
            if step.size == 0:
                break
            if depth == max_depth:  # one hop past the bound still finds something
                beyond = True
                break
            seen[step] = True
            found.append(step)
            frontier = step
        positions = np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
        return Closure(positions.astype(np.int64), beyond)


CLOSURE_THREADS = 2
_CLOSURE_POOL: ThreadPoolExecutor | None = None
_CLOSURE_POOL_LOCK = threading.Lock()


def _closure_pool() -> ThreadPoolExecutor:
    global _CLOSURE_POOL
    with _CLOSURE_POOL_LOCK:
        if _CLOSURE_POOL is None:
            _CLOSURE_POOL = ThreadPoolExecutor(CLOSURE_THREADS, "provgraph-closure")
        return _CLOSURE_POOL


class LineageIndex:
    """The current snapshot of one database, rebuilt in the background after writes."""

    def __init__(self, *, min_edges: int = INDEX_MIN_EDGES, background: bool = True) -> None:
        self.min_edges = min_edges
        self.background = background
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._building = False
        self._failed_at: float | None = None
        # Concurrent requests share epoch reads (each still sees every earlier write).
        self.epoch_reads: SharedRead[dict[str, Any]] = SharedRead()

    def current(self, store: Store, now: datetime | None = None) -> Snapshot | None:
        """The snapshot if it is valid for the graph as it is now; else None (start a build,
        and let Cypher answer meanwhile)."""
        row = self.epoch_reads.get(lambda: store.query("lineage_epoch")[0])
        epoch, edges = int(row["epoch"]), int(row["edges"])
        if edges < self.min_edges:
            return None
        now = now or datetime.now(UTC)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.fresh(epoch, now):
            return snapshot
        if snapshot is not None and snapshot.epoch < epoch:
            # Written since: no answer can come from it any more (every page checks the
            # epoch), so let it go now rather than hold two indexes during the rebuild.
            with self._lock:
                if self._snapshot is snapshot:
                    self._snapshot = None
            del snapshot
        if not self.background:
            return self.rebuild(store)
        self._start_build(store)
        return None

    def latest(self, now: datetime | None = None) -> Snapshot | None:
        """The last snapshot built, unless time has passed an edge's validity change; the
        caller must check its epoch against one read in the same transaction as its
        answer (``lineage_page`` returns it), and call ``current`` if they differ."""
        snapshot = self._snapshot
        if snapshot is None or not snapshot.fresh(snapshot.epoch, now or datetime.now(UTC)):
            return None
        return snapshot

    def status(self) -> dict[str, Any]:
        """What the index holds (for ``/readyz``): epoch, size, whether a build runs."""
        snapshot = self._snapshot
        info: dict[str, Any] = {
            "building": self._building,
            "min_edges": self.min_edges,
            "epoch_checks": self.epoch_reads.calls,
            "epoch_reads": self.epoch_reads.reads,
        }
        if snapshot is not None:
            info.update(
                epoch=snapshot.epoch,
                artifacts=snapshot.size,
                edges=snapshot.edges,
                built_at=snapshot.built_at.isoformat(),
            )
        return info

    def rebuild(self, store: Store) -> Snapshot | None:
        """Build a snapshot now (None if a write moved the epoch while it was read)."""
        snapshot = build_snapshot(store)
        if snapshot is not None:
            with self._lock:
                self._snapshot, replaced = snapshot, self._snapshot
            del replaced
        release_freed_memory()  # the build's temporaries (and the snapshot replaced)
        return snapshot

    def _start_build(self, store: Store) -> None:
        import time

        with self._lock:
            if self._building:
                return
            if (
                self._failed_at is not None
                and time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE_S
            ):
                return
            self._building = True

        def work() -> None:
            try:
                self.rebuild(store)
                self._failed_at = None
            except (ProvgraphError, MemoryError) as exc:
                if store.closing:  # the store's owner is done with it: not a failure
                    log.debug("lineage index build stopped: the store is closing")
                    return
                log.warning("lineage index build failed, Cypher answers meanwhile: %s", exc)
                self._failed_at = time.monotonic()
            finally:
                with self._lock:
                    self._building = False

        # A worker of the store: closing the store waits for it (see Store.start_worker).
        if not store.start_worker(work, name="provgraph-lineage-index"):
            with self._lock:
                self._building = False


def build_snapshot(store: Store) -> Snapshot | None:
    """Read every artifact id and every lineage edge valid now into CSR matrices."""
    built_at = datetime.now(UTC)
    start = store.query("lineage_epoch")[0]
    epoch = int(start["epoch"])

    def id_batches() -> Iterator[list[str]]:
        after = ""
        while True:
            batch = store.query("lineage_index_ids", after=after, limit=ID_BATCH, raw=True)
            ids: list[str] = batch[0]["ids"]
            if not ids:
                return
            yield ids
            after = ids[-1]

    keys = collect_ids(id_batches())
    if keys is None:
        return None

    def edge_batches() -> Iterator[dict[str, Any]]:
        for lo in range(0, int(keys.size), EDGE_BATCH):
            batch_ids = _id_list(keys[lo : lo + EDGE_BATCH])
            row = store.query("lineage_index_edges", ids=batch_ids, now=built_at, raw=True)[0]
            yield {**row, "offset": lo}

    # every lineage edge, valid or not: room for the valid ones without growing
    snapshot = snapshot_from(epoch, built_at, keys, edge_batches(), int(start["edges"]))
    if snapshot is None or int(store.query("lineage_epoch")[0]["epoch"]) != epoch:
        return None
    log.info(
        "lineage index: %d artifacts, %d edges, epoch %d", snapshot.size, snapshot.edges, epoch
    )
    return snapshot


def collect_ids(batches: Iterable[list[str]]) -> npt.NDArray[Any] | None:
    """The ids of ``batches`` (each in ascending order, as Cypher returns them) as one
    sorted array, built a batch at a time so that no Python object per id outlives its
    batch. None when Cypher's order is not Python's (see below)."""
    chunks: list[npt.NDArray[Any]] = []
    as_objects = False
    for batch in batches:
        chunk = _compact(batch)
        as_objects = as_objects or chunk.dtype.kind != "S"
        chunks.append(chunk)
    if not chunks:
        return np.empty(0, dtype="S1")
    if as_objects:  # one id too long for fixed-width bytes: every chunk as str objects
        chunks = [np.array(_id_list(c), dtype=object) for c in chunks]
    ids = np.concatenate(chunks)  # fixed-width chunks widen to the widest
    del chunks
    if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        # Neo4j orders strings by UTF-16 code units, Python by code points: they differ only
        # for characters beyond U+FFFF. Pages must come in Cypher's order, so do not index.
        log.info("artifact ids are not in the same order in Neo4j and Python: no lineage index")
        return None
    return ids


def snapshot_from(
    epoch: int,
    built_at: datetime,
    keys: npt.NDArray[Any],
    batches: Iterable[dict[str, Any]],
    edges: int = 0,
) -> Snapshot | None:
    """A snapshot over ``keys`` from ``lineage_index_edges`` rows, each with the ``offset``
    of its batch in ``keys``, in ascending order of offset; ``edges``: the number of edges
    to expect (the arrays grow past it if need be). None if a parent is not among ``keys``
    (an artifact appeared while the ids were read: a write, so the epoch moved).

    Memory: the rows arrive grouped by child, so the child -> parent matrix is filled in
    place (its column and kind arrays are the edge arrays; no row array, no global sort),
    and the parent -> child one is its transpose (scipy's counting sort, C speed)."""
    n = int(keys.size)
    cols = np.empty(max(edges, 0), dtype=np.int32)  # the parent position of each edge
    bits = np.empty(max(edges, 0), dtype=np.int8)  # the bit of its kind
    counts = np.zeros(n + 1, dtype=np.int32)  # counts[1 + child]: its edges; then indptr
    used = 0
    last_child = 0
    expires_at: datetime | None = None
    for row in batches:
        offset = int(row["offset"])
        children = np.asarray(row["children"], dtype=np.int64)
        if children.size:
            parents, fits = _as_keys(row["parents"], keys.dtype)
            at = np.minimum(np.searchsorted(keys, parents), max(n - 1, 0))
            if not bool(np.all((keys[at] == parents) & fits)):
                return None
            if offset + int(children.min()) < last_child:
                raise ValueError("lineage_index_edges batches must come in ascending offset")
            order = np.argsort(children, kind="stable")  # within the batch: small
            end = used + int(children.size)
            if end > cols.size:  # more edges than counted when the build started
                cols, bits = _grown(cols, end), _grown(bits, end)
            cols[used:end] = at[order]
            bits[used:end] = np.fromiter((_BITS[t] for t in row["types"]), np.int8)[order]
            used = end
            span = int(children.max()) + 1
            counts[1 + offset : 1 + offset + span] += np.bincount(children, minlength=span)
            last_child = offset + span - 1
        change = row["next_change"]
        if change is not None:
            instant = change.to_native() if hasattr(change, "to_native") else change
            expires_at = instant if expires_at is None else min(expires_at, instant)
    if used >= np.iinfo(np.int32).max:
        raise MemoryError(f"{used} lineage edges: more than the index's int32 positions hold")
    cols.resize(used, refcheck=False)  # in place (realloc): no second copy
    bits.resize(used, refcheck=False)
    indptr = np.cumsum(counts, out=counts)
    up = sp.csr_matrix((bits, cols, indptr), shape=(n, n), copy=False)
    up.sort_indices()  # in place, once here, or scipy's BFS sorts a copy on every call
    down = _transposed(up)
    return Snapshot(epoch, built_at, expires_at, keys, up, down)


def _grown(array: npt.NDArray[T_Num], size: int) -> npt.NDArray[T_Num]:
    grown = np.empty(max(size, 2 * array.size, 1024), dtype=array.dtype)
    grown[: array.size] = array
    return grown


def _transposed(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The transpose as CSR, every entry kept (two edges between one pair stay two: scipy's
    COO conversion would add up their kind bits), indices sorted and of the same width."""
    csc = matrix.tocsc()  # a counting sort: output arrays only, rows ascending per column
    shape = (matrix.shape[1], matrix.shape[0])
    transposed = sp.csr_matrix((csc.data, csc.indices, csc.indptr), shape=shape, copy=False)
    transposed.has_sorted_indices = True
    return transposed


ID_BYTES_MAX = 64


def _compact(artifact_ids: list[str]) -> npt.NDArray[Any]:
    """Sorted ids as fixed-width UTF-8 bytes (byte order is code point order, the order
    checked above) when the longest fits in ``ID_BYTES_MAX`` bytes, else as str objects."""
    encoded = [i.encode() for i in artifact_ids]
    width = max((len(e) for e in encoded), default=1)
    # numpy's bytes drop trailing NULs: "a\0" would be held as "a" (ids have no control
    # characters when provgraph writes them, but the index must not merge two ids).
    if width <= ID_BYTES_MAX and not any(e.endswith(b"\0") for e in encoded):
        return np.array(encoded, dtype=f"S{width}")
    return np.array(artifact_ids, dtype=object)


def _as_keys(
    artifact_ids: list[str], dtype: np.dtype[Any]
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """Ids in the form the snapshot holds them, and which are held whole: a longer id is
    cut to the width and one ending in NUL loses it (numpy drops trailing NULs), so either
    would be found as another id."""
    if dtype.kind != "S":
        return np.array(artifact_ids, dtype=object), np.ones(len(artifact_ids), dtype=bool)
    encoded = [i.encode() for i in artifact_ids]
    keys = np.array(encoded, dtype=object).astype(dtype)
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return keys, np.char.str_len(keys) == lengths


def _id_list(keys: npt.NDArray[Any]) -> list[str]:
    values = keys.tolist()
    return [v.decode() for v in values] if keys.dtype.kind == "S" else values


_INDEXES: weakref.WeakKeyDictionary[Store, LineageIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def index_for(store: Store) -> LineageIndex:
    """The lineage index of ``store``'s database (one per Store object)."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(store)
        if index is None:
            index = _INDEXES[store] = LineageIndex()
        return index


class EpochCache:
    """Answers computed from the graph as it is now, kept while the lineage snapshot they
    were computed under is still fresh (same epoch, no validity change since): a write
    through provgraph, or time passing an edge's ``valid_from``/``valid_to``, retires them.

    Only used where the index is (large graphs); bounded in entries and, when given
    ``max_total``, in the sum of the kept answers' sizes (the oldest go first). An answer
    bigger than ``max_items`` (as ``size`` counts) is not kept.

    ``release_after_compute`` hands the heap an answer's computation freed back to the
    system (``release_freed_memory``) after each miss: for answers that take seconds and
    build large temporaries (cold license and risk reports: L, 123k ancestors, 49 -> 15 MB
    and 16 -> 7 MB kept), where the trim's few milliseconds do not count.
    """

    def __init__(
        self,
        *,
        max_entries: int = 256,
        max_items: int = 20_000,
        max_total: int | None = None,
        release_after_compute: bool = False,
    ) -> None:
        self.max_entries = max_entries
        self.release_after_compute = release_after_compute
        self.max_items = max_items
        self.max_total = max_total
        self._lock = threading.Lock()
        # The snapshot by weak reference: a cached answer must not keep an old index alive.
        self._entries: dict[tuple[int, Any], tuple[weakref.ref[Snapshot], Any, int]] = {}
        self._total = 0
        self.hits = 0
        self.misses = 0  # answers computed while a snapshot was valid (kept or too big)

    def get(
        self,
        store: Store,
        key: Any,
        compute: Callable[[], T],
        size: Callable[[T], int] = lambda _: 0,
        index: LineageIndex | None = None,
    ) -> T:
        snapshot = (index or index_for(store)).current(store)
        if snapshot is None:
            return compute()
        slot = (id(store), key)
        with self._lock:
            hit = self._entries.get(slot)
            if hit is not None and hit[0]() is snapshot:
                self._entries[slot] = self._entries.pop(slot)  # most recent last
                self.hits += 1
                answer: T = hit[1]
                return answer
            self.misses += 1
        answer = compute()
        if self.release_after_compute:
            release_freed_memory()
        weight = size(answer)
        if weight <= self.max_items:
            with self._lock:
                self._drop(slot)
                self._entries[slot] = (weakref.ref(snapshot), answer, weight)
                self._total += weight
                self._forget_retired()
                while len(self._entries) > self.max_entries or (
                    self.max_total is not None and self._total > self.max_total
                ):
                    self._drop(next(iter(self._entries)))
        return answer

    def _drop(self, slot: tuple[int, Any]) -> None:
        gone = self._entries.pop(slot, None)
        if gone is not None:
            self._total -= gone[2]

    def status(self) -> dict[str, int]:
        """Entries kept, hits and misses since start (for ``/readyz``)."""
        return {
            "entries": len(self._entries),
            "size": self._total,
            "hits": self.hits,
            "misses": self.misses,
        }

    def _forget_retired(self) -> None:
        """Drop the answers of snapshots that are gone (they can never be hits again)."""
        for slot in [s for s, (ref, _, _) in self._entries.items() if ref() is None]:
            self._drop(slot)


_CYPHER_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})(?:\[[^\]]+\])?",
    re.ASCII,
)


def driver_iso(text: str) -> str | None:
    """Cypher's ``toString`` of a zoned datetime in the driver's ``iso_format`` (what the
    Cypher queries' answers carry): nine fraction digits, ``+00:00`` for UTC. None when the
    text has another shape (then the caller lets Cypher answer)."""
    fraction = text[20:-1]
    if (  # the usual shape, UTC with a fraction: sliced, without the regex (~3x faster)
        text[-1:] == "Z"
        and text[19:20] == "."
        and 0 < len(fraction) <= 9
        and fraction.isascii()
        and fraction.isdigit()
        and text[4] + text[7] + text[10] + text[13] + text[16] == "--T::"
    ):
        return f"{text[:20]}{fraction.ljust(9, '0')}+00:00"
    match = _CYPHER_DATETIME.fullmatch(text)
    if match is None:
        return None
    base, digits, offset = match.groups()
    return f"{base}.{(digits or '').ljust(9, '0')}{'+00:00' if offset == 'Z' else offset}"


_SCALARS = frozenset({str, int, float, bool, type(None)})


def page_props(item: dict[str, Any]) -> dict[str, Any] | None:
    """The properties of a ``lineage_page`` node or edge as a plain dict sorted by key (as
    ``records`` makes them), datetimes as ISO text; None when a datetime text has another
    shape (then the caller lets Cypher answer)."""
    found: dict[str, Any] = item["props"]
    props = {  # None: one of the query's datetime keys that this item does not have
        key: value if value.__class__ in _SCALARS else plain(value)
        for key, value in sorted(found.items())
        if value is not None
    }
    for key in item["zoned"]:
        iso = driver_iso(props[key])
        if iso is None:
            return None
        props[key] = iso
    return props
