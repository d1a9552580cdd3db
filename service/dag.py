"""Cycle detection for lineage writes: lineage must stay a DAG.

Works on a small in-memory digraph made of the edges being written plus, for endpoints
already in the graph, "reaches" shortcuts fetched from Neo4j. Linear in nodes plus edges
(iterative Tarjan, after a strong-components pass in scipy that settles the common case, no
cycle, at C speed), so a million-edge file costs one pass.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from itertools import chain
from operator import itemgetter
from typing import Generic, TypeVar

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = ["Digraph", "find_cycle"]

N = TypeVar("N", bound=Hashable)


class Digraph(Generic[N]):
    """Adjacency lists keyed by node, edges labelled with an opaque tag (e.g. a line number)."""

    def __init__(self) -> None:
        self.succ: dict[N, list[tuple[N, object]]] = {}

    def add(self, child: N, parent: N, tag: object = None) -> None:
        self.succ.setdefault(child, []).append((parent, tag))
        self.succ.setdefault(parent, [])

    def remove(self, child: N, parent: N, tag: object) -> None:
        self.succ[child].remove((parent, tag))

    def acyclic(self) -> bool:
        """True when no cycle exists: one pass of scipy's strong components (C speed), so
        a bulk load that closes no cycle never pays for the Python search below."""
        position = {node: i for i, node in enumerate(self.succ)}
        sizes = [len(edges) for edges in self.succ.values()]
        rows = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        parents = map(itemgetter(0), chain.from_iterable(self.succ.values()))
        cols = np.fromiter(map(position.__getitem__, parents), dtype=np.int64, count=int(rows.size))
        matrix = sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), (len(sizes),) * 2)
        count, _ = connected_components(matrix, directed=True, connection="strong")
        return int(count) == len(sizes)

    def strongly_connected(self) -> list[list[N]]:
        """Components with more than one node (a self-loop is refused earlier)."""
        if self.acyclic():
            return []
        index: dict[N, int] = {}
        low: dict[N, int] = {}
        on_stack: set[N] = set()
        stack: list[N] = []
        found: list[list[N]] = []
        counter = 0
        for root in self.succ:
            if root in index:
                continue
            work: list[tuple[N, int]] = [(root, 0)]
            while work:
                node, i = work.pop()
                if i == 0:
                    index[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(node)
                edges = self.succ[node]
                recurse = False
                while i < len(edges):
                    nxt = edges[i][0]
                    i += 1
                    if nxt not in index:
                        work.append((node, i))
                        work.append((nxt, 0))
                        recurse = True
                        break
                    if nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                if recurse:
                    continue
                if low[node] == index[node]:
                    component: list[N] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
        return found


def find_cycle(graph: Digraph[N], component: Iterable[N]) -> list[tuple[N, N, object]]:
    """One cycle inside a strongly connected component, as its edges (child, parent, tag)."""
    members = set(component)
    start = next(iter(members))
    # BFS from start back to start inside the component gives a shortest cycle through it.
    came_from: dict[N, tuple[N, object]] = {}
    frontier = [start]
    while frontier:
        next_frontier: list[N] = []
        for node in frontier:
            for nxt, tag in graph.succ[node]:
                if nxt not in members:
                    continue
                if nxt == start:
                    edges = [(node, start, tag)]
                    while node != start:
                        prev, prev_tag = came_from[node]
                        edges.append((prev, node, prev_tag))
                        node = prev
                    return list(reversed(edges))
                if nxt not in came_from:
                    came_from[nxt] = (node, tag)
                    next_frontier.append(nxt)
        frontier = next_frontier
    raise ValueError("component has no cycle")  # unreachable for a real SCC
