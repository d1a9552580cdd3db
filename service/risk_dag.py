"""The weighted lineage DAG behind the risk figures, folded from query rows into arrays.

Rows come from ``risk_ancestry`` (Cypher finds the closure: the reference, and ``as_of``)
or ``risk_nodes`` (the lineage index found it; facts by id in batches), one at a time,
never held as a list. Nodes are numbered in id order and each node's edges sorted by
(parent, type), so both reads give the same DAG, and the same report, whatever order
Neo4j returns rows and edges in. Per node and per edge only machine ints and shared
strings are kept (an ancestry of 123k nodes and 300k edges in a few MB).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from provgraph.service.models import EdgeKind

__all__ = ["EDGE_TYPES", "KINDS", "NONE", "Dag", "DagBuilder"]

KINDS = ("source", "dataset", "model")
EDGE_TYPES = tuple(kind.value for kind in EdgeKind)
_KIND = {k: i for i, k in enumerate(KINDS)}
_TYPE = {t: i for i, t in enumerate(EDGE_TYPES)}
NONE = -1  # human / records not recorded (records are never negative)


@dataclass
class Dag:
    """Nodes by position (id order); the edges of node ``i`` (to its parents) are
    ``ptr[i]:ptr[i + 1]`` of ``parent`` / ``type`` / ``records``."""

    ids: list[str]
    kind: array[int]  # index into KINDS
    human: array[int]  # 1, 0, or NONE
    records: array[int]  # NONE when unknown
    vendor: list[str | None]
    family: list[str | None]
    ptr: array[int]
    parent: array[int]
    type: array[int]  # index into EDGE_TYPES
    edge_records: array[int]  # NONE when unknown

    @property
    def size(self) -> int:
        return len(self.ids)

    def position(self, node_id: str) -> int | None:
        at = bisect_left(self.ids, node_id)
        return at if at < len(self.ids) and self.ids[at] == node_id else None


class DagBuilder:
    """Folds risk rows (``id, kind, human, records, vendor, family, edges`` with edges as
    ``[to, type, records]``; ``total`` on ``risk_ancestry`` rows) into a ``Dag``."""

    def __init__(self, expected: Iterable[str] = ()) -> None:
        self.total = 0
        self._number: dict[str, int] = {}
        self._names: list[str] = []
        self._seen = bytearray()  # 1: the node came as a row (not only as a parent)
        self._kind = array("b")
        self._human = array("b")
        self._records = array("q")
        self._vendor: list[str | None] = []
        self._family: list[str | None] = []
        self._child = array("i")
        self._parent = array("i")
        self._type = array("b")
        self._edge_records = array("q")
        self._shared: dict[str, str] = {}
        for node_id in expected:  # the ids known beforehand: rows' copies are dropped
            self._id(node_id)

    def _id(self, node_id: str) -> int:
        at = self._number.get(node_id)
        if at is None:
            at = self._number[node_id] = len(self._names)
            self._names.append(node_id)
            self._seen.append(0)
            self._kind.append(0)
            self._human.append(NONE)
            self._records.append(NONE)
            self._vendor.append(None)
            self._family.append(None)
        return at

    def _share(self, value: str | None) -> str | None:
        return None if value is None else self._shared.setdefault(value, value)

    def add(self, row: dict[str, Any]) -> None:
        if "total" in row:
            self.total = int(row["total"])
        at = self._id(row["id"])
        self._seen[at] = 1
        self._kind[at] = _KIND[row["kind"]]
        human = row["human"]
        self._human[at] = NONE if human is None else int(bool(human))
        self._records[at] = NONE if row["records"] is None else int(row["records"])
        self._vendor[at] = self._share(row["vendor"])
        self._family[at] = self._share(row["family"])
        for to, edge_type, records in row["edges"]:
            self._child.append(at)
            self._parent.append(self._id(to))
            self._type.append(_TYPE[edge_type])
            self._edge_records.append(NONE if records is None else int(records))

    def dag(self) -> Dag:
        """The DAG over the nodes that came as rows; edges to others are dropped."""
        seen = np.frombuffer(bytes(self._seen), dtype=np.uint8).astype(bool)
        present = np.flatnonzero(seen)
        names = np.array(self._names, dtype=object)
        present = present[np.argsort(names[present], kind="stable")] if present.size else present
        position = np.full(len(self._names), -1, dtype=np.int64)
        position[present] = np.arange(present.size)
        child = position[np.frombuffer(self._child, dtype=np.int32)]
        parent = position[np.frombuffer(self._parent, dtype=np.int32)]
        kinds = np.frombuffer(self._type, dtype=np.int8)
        kept = np.flatnonzero((parent >= 0) & (child >= 0))
        order = kept[np.lexsort((kinds[kept], parent[kept], child[kept]))]
        ptr = np.zeros(present.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(child[order], minlength=present.size), out=ptr[1:])
        pick = present.tolist()
        return Dag(
            ids=[self._names[i] for i in pick],
            kind=array("b", np.frombuffer(self._kind, dtype=np.int8)[present].tobytes()),
            human=array("b", np.frombuffer(self._human, dtype=np.int8)[present].tobytes()),
            records=array("q", np.frombuffer(self._records, dtype=np.int64)[present].tobytes()),
            vendor=[self._vendor[i] for i in pick],
            family=[self._family[i] for i in pick],
            ptr=array("q", ptr.tobytes()),
            parent=array("i", parent[order].astype(np.int32).tobytes()),
            type=array("b", kinds[order].tobytes()),
            edge_records=array(
                "q", np.frombuffer(self._edge_records, dtype=np.int64)[order].tobytes()
            ),
        )
