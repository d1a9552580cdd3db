"""The relational baseline (Marquez-style): an indexed edges table in PostgreSQL and a
``WITH RECURSIVE ... UNION`` closure, answered with ``count(*)`` only (no rows returned),
as the anchors of benchmarks.md were measured."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np

from bench.supply_chain import Graph
from bench.timing import timed

__all__ = ["RelationalBaseline"]

CREATE = """
DROP TABLE IF EXISTS {table};
CREATE UNLOGGED TABLE {table} (child bigint NOT NULL, parent bigint NOT NULL)
"""
INDEXES = """
CREATE INDEX ON {table} (child, parent);
CREATE INDEX ON {table} (parent, child);
ANALYZE {table}
"""
# UNION (not UNION ALL) removes duplicates, so converging paths are expanded once.
UPSTREAM = """
WITH RECURSIVE up(id) AS (
    SELECT parent FROM {table} WHERE child = %(node)s
    UNION
    SELECT e.parent FROM {table} e JOIN up ON e.child = up.id
)
SELECT count(*) FROM up
"""
DOWNSTREAM = """
WITH RECURSIVE down(id) AS (
    SELECT child FROM {table} WHERE parent = %(node)s
    UNION
    SELECT e.child FROM {table} e JOIN down ON e.parent = down.id
)
SELECT count(*) FROM down
"""
CHUNK = 500_000


class RelationalBaseline:
    def __init__(self, conninfo: str) -> None:
        import psycopg

        self._conn: Any = psycopg.connect(conninfo, autocommit=True)

    def load(self, table: str, graph: Graph) -> float:
        """COPY the edges and build both indexes; returns the seconds it took."""
        start = time.perf_counter()
        for statement in CREATE.format(table=table).split(";"):
            self._conn.execute(statement)
        with self._conn.cursor().copy(f"COPY {table} (child, parent) FROM STDIN") as copy:
            for lo in range(0, graph.child.size, CHUNK):
                pairs = np.column_stack(
                    (graph.child[lo : lo + CHUNK], graph.parent[lo : lo + CHUNK])
                )
                buffer = io.StringIO()
                np.savetxt(buffer, pairs, fmt="%d", delimiter="\t")
                copy.write(buffer.getvalue())
        for statement in INDEXES.format(table=table).split(";"):
            self._conn.execute(statement)
        return time.perf_counter() - start

    def closure_size(self, table: str, node: int, direction: str) -> int:
        query = (UPSTREAM if direction == "up" else DOWNSTREAM).format(table=table)
        row = self._conn.execute(query, {"node": node}).fetchone()
        return int(row[0])

    def timed(
        self, table: str, node: int, direction: str, repeat: int, budget_s: float
    ) -> tuple[int, list[float]]:
        """One cold run (dropped), then up to ``repeat`` warm ones within ``budget_s``."""
        self.closure_size(table, node, direction)
        size, times = timed(lambda: self.closure_size(table, node, direction), repeat, budget_s)
        return size, times

    def close(self) -> None:
        self._conn.close()
