"""The in-memory floor and the reference answers: closures by scipy BFS on CSR adjacency.

``breadth_first_order`` on a CSR matrix already in memory is the practical lower bound of
the work a closure takes; its results are also what every provgraph answer is checked
against (a wrong size fails the run).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from bench.supply_chain import GENERATED_BY, Graph

__all__ = ["Oracle"]


@dataclass
class Oracle:
    graph: Graph
    up: sp.csr_matrix = field(init=False)
    down: sp.csr_matrix = field(init=False)

    def __post_init__(self) -> None:
        g = self.graph
        ones = np.ones(g.child.size, dtype=np.int8)
        self.up = sp.csr_matrix((ones, (g.child, g.parent)), shape=(g.n, g.n))
        self.down = sp.csr_matrix((ones, (g.parent, g.child)), shape=(g.n, g.n))
        self._edges: set[tuple[int, int]] | None = None

    def closure(self, node: int, direction: str) -> npt.NDArray[np.int32]:
        """Ancestors ("up") or descendants ("down") of ``node``, the node itself excluded."""
        matrix = self.up if direction == "up" else self.down
        order: npt.NDArray[np.int32] = breadth_first_order(
            matrix, node, directed=True, return_predecessors=False
        )
        return order[1:]

    def floor_ms(self, node: int, direction: str, repeat: int) -> list[float]:
        """Wall times of the closure alone (the in-memory floor), in milliseconds."""
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            self.closure(node, direction)
            times.append((time.perf_counter() - start) * 1000)
        return times

    def has_edge(self, child: int, parent: int) -> bool:
        if self._edges is None:
            g = self.graph
            self._edges = set(zip(g.child.tolist(), g.parent.tolist(), strict=True))
        return (child, parent) in self._edges

    def generations(self) -> npt.NDArray[np.int64]:
        """Most GENERATED_BY hops on any upstream path of each node (architecture.md).

        Parents always have smaller ids than their children (layer order), so one pass in id
        order is a topological pass.
        """
        g = self.graph
        gens = np.zeros(g.n, dtype=np.int64)
        order = np.argsort(g.child, kind="stable")
        child, parent = g.child[order], g.parent[order]
        step = (g.rel[order] == GENERATED_BY).astype(np.int64)
        bounds = np.searchsorted(child, np.arange(g.n + 1))
        for node in np.unique(child).tolist():
            lo, hi = bounds[node], bounds[node + 1]
            gens[node] = int((gens[parent[lo:hi]] + step[lo:hi]).max())
        return gens
