"""Memory of building the lineage index, and of answering closures from it.

Not part of the test suite nor of ``python -m bench``. Three ways to feed the build:

    .venv/bin/python -m bench.index_memory --nodes 1000000          # no Neo4j
    .venv/bin/python -m bench.index_memory --nodes 100000 --neo4j   # a managed Neo4j, loaded
    .venv/bin/python -m bench.index_memory --uri bolt://HOST:PORT   # a database as it is

Without Neo4j, the parent generates the reference supply chain (``bench/supply_chain.py``)
and writes its sorted ids and edges as ``.npy`` files; a child process imports the API (its
baseline), loads them, then feeds the index build (``lineage_index.collect_ids`` and
``snapshot_from``) batches shaped like the driver's answers to ``lineage_index_ids`` and
``lineage_index_edges`` (Python lists of a batch's ids, children, parents and types).
``--neo4j`` bulk-loads the same graph into a fresh managed Neo4j (heap and page cache 1g)
and the child builds as the API does, through the driver (``LineageIndex.rebuild``);
``--hold`` then keeps that server up and prints its URI, for ``--uri`` runs of other code.

The child builds in a thread, as the API does, after resetting its peak RSS
(``/proc/self/clear_refs``): ``build_peak_mib`` is the peak above the baseline, and
``kept_mib`` what the build left (before and after ``release_freed_memory``). Then it asks
closures (and, through Neo4j, lineage pages) from four threads and reports the RSS again:
what the request path keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.enrich import enrich, node_id, write_ndjson
from bench.servers import run_json_module
from bench.supply_chain import REL_NAMES, generate

HEAP = "1g"  # the managed Neo4j of --neo4j: small, other work shares the machine
QUESTIONS = 400  # closures (or pages) asked after the build, from REQUEST_THREADS threads
REQUEST_THREADS = 4


def _status() -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon and RssFile of this process, in KiB."""
    wanted = ("VmRSS", "VmHWM", "RssAnon", "RssFile")
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in wanted:
            out[key] = int(line.split()[1])
    return out


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def write_inputs(nodes: int, folder: Path) -> None:
    graph = generate(nodes, seed=42)
    ids = np.array([node_id("bench:", int(k), i) for i, k in enumerate(graph.kind.tolist())])
    order = np.argsort(ids)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    child, parent = rank[graph.child], rank[graph.parent]
    by_child = np.argsort(child, kind="stable")
    np.save(folder / "ids.npy", ids[order].astype("S"))
    np.save(folder / "child.npy", child[by_child].astype(np.int32))
    np.save(folder / "parent.npy", parent[by_child].astype(np.int32))
    np.save(folder / "rel.npy", graph.rel[by_child].astype(np.int8))


def _in_thread(work: Callable[[], Any]) -> Any:
    """``work()`` in a thread of its own, as the API builds (another malloc arena)."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(work()), name="index-build")
    thread.start()
    thread.join()
    return box[0]


def _measure(build: Callable[[], Any], ask: Callable[[Any, int], object]) -> dict[str, Any]:
    """Build in a thread from a reset peak, trim, then ask ``QUESTIONS`` questions."""
    from provgraph.service import heap

    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status()
    start = time.perf_counter()
    snapshot = _in_thread(build)
    seconds = time.perf_counter() - start
    assert snapshot is not None, "the build gave no snapshot"
    built = _status()
    heap.release_freed_memory()
    trimmed = _status()

    def one(k: int) -> None:
        ask(snapshot, k)  # dropped at once, as a served answer is once sent

    with ThreadPoolExecutor(REQUEST_THREADS) as pool:
        list(pool.map(one, range(QUESTIONS)))
    asked = _status()
    index_bytes = snapshot.ids.nbytes + sum(
        m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in (snapshot.up, snapshot.down)
    )
    base = before["VmRSS"]
    return {
        "artifacts": snapshot.size,
        "edges": snapshot.edges,
        "build_s": round(seconds, 2),
        "index_mib": round(index_bytes / 2**20, 1),
        "baseline_rss_mib": _mib(base),
        "build_peak_mib": _mib(built["VmHWM"] - base),
        "kept_mib": _mib(built["VmRSS"] - base),
        "kept_after_trim_mib": _mib(trimmed["VmRSS"] - base),
        "after_questions_mib": _mib(asked["VmRSS"] - base),
        "peak_with_questions_mib": _mib(asked["VmHWM"] - base),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def _closure_asker(size: int) -> Callable[[Any, int], object]:
    from provgraph.service.models import Direction

    roots = random.Random(7).sample(range(size), min(size, QUESTIONS))

    def ask(snapshot: Any, k: int) -> object:
        direction = Direction.UPSTREAM if k % 2 else Direction.DOWNSTREAM
        kinds = ["DERIVED_FROM", "TRAINED_ON", "GENERATED_BY", "FINE_TUNED_FROM"]
        return snapshot.closure(roots[k % len(roots)], direction, kinds, None if k % 3 else 3)

    return ask


def measure_arrays(folder: Path) -> dict[str, Any]:
    import provgraph.service.api  # noqa: F401  (the API process's baseline)
    from provgraph.service import lineage_index as li

    ids = np.load(folder / "ids.npy")  # in memory: part of the baseline, not of the peak
    child = np.load(folder / "child.npy")
    parent = np.load(folder / "parent.npy")
    rel = np.load(folder / "rel.npy")
    names = list(REL_NAMES)

    def id_batches() -> Iterator[list[str]]:
        for lo in range(0, ids.size, li.ID_BATCH):
            yield [v.decode() for v in ids[lo : lo + li.ID_BATCH].tolist()]

    def edge_batches(keys: Any) -> Iterator[dict[str, Any]]:
        for lo in range(0, keys.size, li.EDGE_BATCH):
            a, b = np.searchsorted(child, [lo, lo + li.EDGE_BATCH])
            yield {
                "offset": lo,
                "children": (child[a:b] - lo).tolist(),
                "parents": [v.decode() for v in ids[parent[a:b]].tolist()],
                "types": [names[t] for t in rel[a:b].tolist()],
                "next_change": None,
            }

    def build() -> Any:
        keys = li.collect_ids(id_batches())
        assert keys is not None
        return li.snapshot_from(1, datetime.now(UTC), keys, edge_batches(keys))

    return _measure(build, _closure_asker(int(ids.size)))


def measure_database(uri: str) -> dict[str, Any]:
    import provgraph.service.api  # noqa: F401  (the API process's baseline)
    from provgraph.service import lineage_index as li
    from provgraph.service.lineage import lineage
    from provgraph.service.models import Direction
    from provgraph.service.settings import Settings
    from provgraph.service.store import Store

    with Store.connect(Settings(neo4j_uri=uri)) as store:
        store.query("lineage_epoch")  # the driver's first connection: not the build's
        index = li.index_for(store)

        def ask(snapshot: Any, k: int) -> object:
            at = (k * 7919) % snapshot.size
            direction = Direction.UPSTREAM if k % 2 else Direction.DOWNSTREAM
            artifact_id = snapshot.id_list(np.array([at]))[0]
            return lineage(store, artifact_id, direction=direction, max_depth=None if k % 3 else 3)

        return _measure(lambda: index.rebuild(store), ask)


def _child(*args: str) -> dict[str, Any]:
    return run_json_module("bench.index_memory", *args)


def with_neo4j(nodes: int, hold: bool) -> dict[str, Any]:
    from bench.run import _bulk
    from bench.servers import neo4j_for_bench

    with (
        tempfile.TemporaryDirectory(prefix="provgraph-index-memory-") as tmp,
        neo4j_for_bench(Path(tmp), heap=HEAP, pagecache=HEAP, log=print) as settings,
    ):
        assert settings.neo4j_uri
        graph = generate(nodes, seed=42)
        data = Path(tmp) / "graph.ndjson"
        write_ndjson(enrich(graph, prefix="bench:", seed=42), str(data))
        del graph
        loaded = _bulk(settings.home, data)
        print(f"loaded {loaded['elements']:,} elements in {loaded['seconds']:.0f} s", flush=True)
        result = _child("--child-uri", settings.neo4j_uri)
        if hold:
            print(json.dumps(result, indent=2))
            print(f"holding Neo4j on {settings.neo4j_uri}: SIGINT or SIGTERM stops it", flush=True)
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--neo4j", action="store_true", help="load a managed Neo4j and build")
    parser.add_argument("--hold", action="store_true", help="with --neo4j: keep it up after")
    parser.add_argument("--uri", help="build from this database, as it is")
    parser.add_argument("--arrays", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-uri", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.arrays is not None:
        print(json.dumps(measure_arrays(args.arrays)))
        return 0
    if args.child_uri is not None:
        print(json.dumps(measure_database(args.child_uri)))
        return 0
    try:
        if args.uri:
            result = _child("--child-uri", args.uri)
        elif args.neo4j:
            result = with_neo4j(args.nodes, args.hold)
        else:
            with tempfile.TemporaryDirectory(prefix="provgraph-index-memory-") as tmp:
                write_inputs(args.nodes, Path(tmp))
                result = _child("--arrays", tmp)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
