"""Memory of building the lineage index for a synthetic graph, without Neo4j.

Not part of the test suite nor of ``python -m bench``. The parent generates the reference
supply chain (``bench/supply_chain.py``) and writes its sorted ids and edges as ``.npy``
files; a child process imports the API (its baseline), then feeds the index build
(``lineage_index.collect_ids`` and ``snapshot_from``) batches shaped like the driver's
answers to ``lineage_index_ids`` and ``lineage_index_edges`` (Python lists of a batch's
ids, children, parents and types), and reports its memory before, at the peak and after.

    .venv/bin/python -m bench.index_memory --nodes 1000000

The inputs are memory-mapped, so they count in RSS only as file pages: ``RssAnon`` (heap
and anonymous maps) is the figure to read; RSS is printed as well.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.enrich import node_id
from bench.supply_chain import REL_NAMES, generate


def _status() -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon and RssFile of this process, in MiB."""
    wanted = ("VmRSS", "VmHWM", "RssAnon", "RssFile")
    out: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in wanted:
            out[key] = int(line.split()[1]) // 1024
    return out


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


def measure(folder: Path, id_batch: int, edge_batch: int) -> dict[str, Any]:
    import provgraph.service.api  # noqa: F401  (the API process's baseline)
    from provgraph.service import lineage_index as li

    ids = np.load(folder / "ids.npy", mmap_mode="r")
    child = np.load(folder / "child.npy", mmap_mode="r")
    parent = np.load(folder / "parent.npy", mmap_mode="r")
    rel = np.load(folder / "rel.npy", mmap_mode="r")
    names = list(REL_NAMES)
    before = _status()

    def id_batches() -> Iterator[list[str]]:
        for lo in range(0, ids.size, id_batch):
            yield [v.decode() for v in ids[lo : lo + id_batch].tolist()]

    keys = li.collect_ids(id_batches())
    assert keys is not None

    def edge_batches() -> Iterator[dict[str, Any]]:
        for lo in range(0, keys.size, edge_batch):
            a, b = np.searchsorted(child, [lo, lo + edge_batch])
            yield {
                "offset": lo,
                "children": (child[a:b] - lo).tolist(),
                "parents": [v.decode() for v in ids[parent[a:b]].tolist()],
                "types": [names[t] for t in rel[a:b].tolist()],
                "next_change": None,
            }

    snapshot = li.snapshot_from(1, datetime.now(UTC), keys, edge_batches())
    assert snapshot is not None
    built = _status()
    li.release_freed_memory()
    after = _status()
    index_bytes = snapshot.ids.nbytes + sum(
        m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in (snapshot.up, snapshot.down)
    )
    return {
        "artifacts": snapshot.size,
        "edges": snapshot.edges,
        "index_mib": round(index_bytes / 2**20, 1),
        "before_mib": before,
        "built_mib": built,
        "after_trim_mib": after,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from provgraph.service.lineage_index import EDGE_BATCH, ID_BATCH

    if args.child is not None:
        print(json.dumps(measure(args.child, ID_BATCH, EDGE_BATCH)))
        return 0
    with tempfile.TemporaryDirectory(prefix="provgraph-index-memory-") as tmp:
        write_inputs(args.nodes, Path(tmp))
        done = subprocess.run(
            [sys.executable, "-m", "bench.index_memory", "--child", tmp],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        return 1
    print(json.dumps(json.loads(done.stdout), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
