"""An artifact's ancestry for license propagation, read into a compact ``LicenseGraph``.

Two reads, one answer. About now, with the lineage index valid, the closure comes from the
index (a scipy BFS, milliseconds) and Neo4j is asked only for the facts of those ids, in
batches (``license_nodes``); otherwise, and for ``as_of``, ``license_ancestry(_many)``
finds the closure itself (the reference answer). Either way the rows are folded into the
graph one at a time (``GraphBuilder``), never held as a list, and the graph's node order is
the ids' sorted order and its edges sorted, so both reads give the same graph and the same
report whatever order Neo4j returns rows in.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np

from provgraph.service.ancestry import indexed_closure, read_in_batches
from provgraph.service.licensing.propagation import (
    EDGE_CODES,
    LicenseGraph,
    NodeFacts,
    parse_waivers,
)
from provgraph.service.lineage_index import LineageIndex
from provgraph.service.records import plain
from provgraph.service.store import Store, Tx

__all__ = ["FACTS_BATCH", "GraphBuilder", "graph_from_rows", "read_ancestry"]

FACTS_BATCH = 5_000  # ids per license_nodes query: bounds one answer's decoded size
_CODES = {kind.value: code for kind, code in EDGE_CODES.items()}


class GraphBuilder:
    """Folds ``license_ancestry`` / ``license_nodes`` rows into a ``LicenseGraph``.

    Every id (node or edge end) gets a number at first sight, so an edge's parent is kept
    as an int and its id string only once; small strings (kinds, families, expressions,
    license id lists) are shared between nodes."""

    def __init__(self, root: str, expected: Iterable[str] = ()) -> None:
        self.root = root
        self.total = 0
        self._number: dict[str, int] = {}
        self._names: list[str] = []
        self._facts: list[NodeFacts | None] = []
        # Machine ints, not lists of Python ints (36 bytes an edge end at 300k edges).
        self._child = array("i")
        self._parent = array("i")
        self._kind = array("b")
        self._waivers: dict[int, Any] = {}  # edge number (arrival order) -> raw waivers
        self._shared: dict[Any, Any] = {}
        for node_id in expected:  # the ids known beforehand: rows' copies are dropped
            self._id(node_id)

    def _id(self, node_id: str) -> int:
        at = self._number.get(node_id)
        if at is None:
            at = self._number[node_id] = len(self._names)
            self._names.append(node_id)
            self._facts.append(None)
        return at

    def _share(self, value: Any) -> Any:
        return self._shared.setdefault(value, value)

    def add(self, row: dict[str, Any]) -> None:
        if "total" in row:
            self.total = int(row["total"])
        at = self._id(row["id"])
        node_id = self._names[at]
        kind = self._share(row["kind"])
        props = row.get("props")
        self._facts[at] = NodeFacts(
            id=node_id,
            kind=kind,
            declared_expression=self._share(row["license"]),
            declared_ids=self._share(tuple(row["licenses"])),
            family=self._share(row["family"]),
            name=row["name"],
            full_props=(
                {**{k: plain(v) for k, v in props.items()}, "kind": kind}
                if props is not None
                else None
            ),
        )
        for to, edge_kind, waivers in row["edges"]:
            if waivers:
                self._waivers[len(self._child)] = waivers
            self._child.append(at)
            self._parent.append(self._id(to))
            self._kind.append(_CODES[edge_kind])

    def graph(self) -> LicenseGraph:
        """The graph over the nodes seen as rows, in id order; edges to ids that came only
        as parents (the ancestry cap cut them) are dropped."""
        present = [at for at, facts in enumerate(self._facts) if facts is not None]
        present.sort(key=self._names.__getitem__)
        position = np.full(len(self._names), -1, dtype=np.int32)
        position[present] = np.arange(len(present), dtype=np.int32)
        child = position[np.frombuffer(self._child, dtype=np.int32)]
        parent = position[np.frombuffer(self._parent, dtype=np.int32)]
        kind = np.frombuffer(self._kind, dtype=np.int8).copy()
        kept = np.flatnonzero(parent >= 0)
        order = kept[np.lexsort((kind[kept], parent[kept], child[kept]))]
        renumber = np.full(kind.size, -1, dtype=np.int64)  # arrival -> sorted edge number
        renumber[order] = np.arange(order.size)
        waivers = {
            int(renumber[edge]): found
            for edge, raw in self._waivers.items()
            if renumber[edge] >= 0 and (found := parse_waivers(raw))
        }
        nodes: dict[str, NodeFacts] = {}
        for at in present:
            facts = self._facts[at]
            assert facts is not None
            nodes[facts.id] = facts
        return LicenseGraph(
            self.root,
            nodes,
            child[order].astype(np.int32),
            parent[order].astype(np.int32),
            kind[order],
            waivers,
        )


def graph_from_rows(root: str, rows: Iterable[dict[str, Any]]) -> LicenseGraph:
    """The graph from ``license_ancestry(_many)`` or ``license_nodes`` rows."""
    builder = GraphBuilder(root)
    for row in rows:
        builder.add(row)
    return builder.graph()


def read_ancestry(
    store: Store,
    roots: list[str],
    when: datetime,
    limit: int,
    *,
    now: bool,
    index: LineageIndex | None = None,
    batch: int = FACTS_BATCH,
) -> tuple[LicenseGraph, int, bool]:
    """The union ancestry of ``roots`` (the first is the graph's root), its size before the
    cap (as the Cypher queries count it), and whether any root is known. ``now``: ``when``
    is the present instant, so the lineage index may find the closure when it is valid."""
    root = roots[0] if roots else ""
    if now:
        closure = indexed_closure(store, roots, limit, index=index)
        if closure is not None:
            built = read_in_batches(
                store,
                "license_nodes",
                closure,
                lambda: GraphBuilder(root, closure.ids),
                batch=batch,
                roots=closure.roots,
                as_of=when,
            )
            if built is not None:
                return built.graph(), closure.total, True

    def work(tx: Tx) -> tuple[GraphBuilder, int]:
        builder, rows = GraphBuilder(root), 0
        if len(roots) == 1:
            found = tx.stream("license_ancestry", id=root, as_of=when, limit=limit)
        else:
            found = tx.stream("license_ancestry_many", ids=roots, as_of=when, limit=limit)
        for row in found:
            builder.add(row)
            rows += 1
        return builder, rows

    builder, rows = store.read(work)
    return builder.graph(), builder.total, rows > 0
