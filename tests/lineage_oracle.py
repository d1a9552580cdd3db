"""An independent lineage oracle for the API and CLI tests.

It reads NDJSON with plain ``json`` and answers ancestry, impact and shortest-path questions
by breadth-first search in memory. Nothing here imports provgraph, so a bug in the service
cannot hide in its own oracle.

Edges are ``(from, to, type)`` triples and point upstream, from the newer artifact to its
origin (architecture.md). The expected edges of an answer are the lineage edges *among* its
nodes (root included): for an unbounded upstream answer that is every edge whose ``from`` is
the root or an ancestor.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LINEAGE_TYPES = frozenset({"DERIVED_FROM", "GENERATED_BY", "TRAINED_ON", "FINE_TUNED_FROM"})
UPSTREAM = "upstream"
DOWNSTREAM = "downstream"

Edge = tuple[str, str, str]

# The id prefix that tests/conftest.py's `ns` fixture (and `new_prefix`) hands out.
TEST_PREFIX = re.compile(r"^t[0-9a-f]{10}:")


def new_prefix() -> str:
    """A fresh id prefix in the conftest `ns` format, for module-scoped fixtures."""
    return f"t{uuid.uuid4().hex[:10]}:"


def prefix_ids(lines: Iterable[str], prefix: str, *, drop: Iterable[str] = ()) -> list[str]:
    """The NDJSON lines with ``prefix`` put in front of every node id and edge end, and the
    fields named in ``drop`` removed.

    Lines that are not JSON objects are kept as they are (so bad-input files keep their
    line numbers and their defects).
    """
    dropped = frozenset(drop)
    out: list[str] = []
    for raw in lines:
        text = raw.rstrip("\n")
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            out.append(text)
            continue
        if isinstance(obj, dict):
            for key in ("id", "from", "to"):
                if isinstance(obj.get(key), str):
                    obj[key] = prefix + obj[key]
            for key in dropped & obj.keys():
                del obj[key]
            text = json.dumps(obj, ensure_ascii=False)
        out.append(text)
    return out


def edge_set(edges: Iterable[Mapping[str, Any]]) -> set[Edge]:
    """``(from, to, type)`` triples of edges as the API and ``--json`` return them."""
    return {(e["from"], e["to"], e["type"]) for e in edges}


@dataclass
class LineageGraph:
    """Nodes (id -> NDJSON record) and lineage edges of one NDJSON input."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> LineageGraph:
        graph = cls()
        for raw in lines:
            if not raw.strip():
                continue
            obj = json.loads(raw)
            if "node" in obj:
                graph.nodes[obj["id"]] = obj
            elif obj["edge"] in LINEAGE_TYPES:
                graph.edges.add((obj["from"], obj["to"], obj["edge"]))
        return graph

    @classmethod
    def from_ndjson(cls, path: Path) -> LineageGraph:
        return cls.from_lines(path.read_text(encoding="utf-8").splitlines())

    def _neighbours(self, node: str, direction: str, kinds: frozenset[str]) -> list[str]:
        if direction == UPSTREAM:
            return [to for (frm, to, kind) in self.edges if frm == node and kind in kinds]
        return [frm for (frm, to, kind) in self.edges if to == node and kind in kinds]

    def distances(
        self,
        root: str,
        direction: str = UPSTREAM,
        *,
        kinds: Iterable[str] | None = None,
        max_depth: int | None = None,
    ) -> dict[str, int]:
        """Hop distance of every ancestor (or descendant) of ``root``, root excluded."""
        allowed = frozenset(kinds) if kinds is not None else LINEAGE_TYPES
        seen = {root: 0}
        queue = deque([root])
        while queue:
            node = queue.popleft()
            if max_depth is not None and seen[node] >= max_depth:
                continue
            for other in self._neighbours(node, direction, allowed):
                if other not in seen:
                    seen[other] = seen[node] + 1
                    queue.append(other)
        del seen[root]
        return seen

    def closure(self, root: str, direction: str = UPSTREAM, **kw: Any) -> set[str]:
        return set(self.distances(root, direction, **kw))

    def edges_among(self, members: set[str], kinds: Iterable[str] | None = None) -> set[Edge]:
        allowed = frozenset(kinds) if kinds is not None else LINEAGE_TYPES
        return {e for e in self.edges if e[0] in members and e[1] in members and e[2] in allowed}

    def expected(
        self,
        root: str,
        direction: str = UPSTREAM,
        *,
        kinds: Iterable[str] | None = None,
        max_depth: int | None = None,
    ) -> tuple[set[str], set[Edge], bool]:
        """(nodes, edges, truncated_by_depth) that a lineage answer must have."""
        kinds = None if kinds is None else frozenset(kinds)
        nodes = self.closure(root, direction, kinds=kinds, max_depth=max_depth)
        truncated = max_depth is not None and len(self.closure(root, direction, kinds=kinds)) > len(
            nodes
        )
        return nodes, self.edges_among(nodes | {root}, kinds), truncated


_COPIES: dict[Path, tuple[str, LineageGraph]] = {}


def example_copy(path: Path, load: Callable[[list[str]], object]) -> tuple[str, LineageGraph]:
    """Load ``path`` once per test process under a private prefix; (prefix, its graph).

    Licenses are left out: they play no part in lineage, and parsing license expressions
    makes a full ingest of the example take seconds.
    """
    if path not in _COPIES:
        prefix = new_prefix()
        lines = prefix_ids(path.read_text(encoding="utf-8").splitlines(), prefix, drop=("license",))
        load(lines)
        _COPIES[path] = (prefix, LineageGraph.from_lines(lines))
    return _COPIES[path]
