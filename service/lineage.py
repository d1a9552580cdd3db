"""Lineage questions: ancestry (upstream), impact (downstream), a drawable subgraph, and one
witness path between two artifacts. Every answer comes from a named query that collects
distinct nodes first and fetches edges with one hop; none enumerates paths.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from provgraph.service.errors import InvalidInput, NotFound
from provgraph.service.lineage_index import Positions, Snapshot, index_for, page_props
from provgraph.service.models import (
    LINEAGE_EDGE_KINDS,
    Artifact,
    Direction,
    EdgeKind,
    Lineage,
    LineageEdge,
    TruncatedReason,
    WitnessPath,
    as_of_instant,
)
from provgraph.service.records import (
    artifact_props,
    decode_attrs,
    edge_from_row,
    edge_props,
)
from provgraph.service.store import Store

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_IDS_LIMIT",
    "MAX_LIMIT",
    "SUBGRAPH_DEFAULT_LIMIT",
    "LineageIds",
    "Subgraph",
    "decode_cursor",
    "encode_cursor",
    "lineage",
    "lineage_ids",
    "lineage_ids_json",
    "subgraph",
    "witness_path",
]

# A page of 100 artifacts with all their properties and ~350 edges is ~75 KB: quick to
# fetch, send and read; `limit` asks for up to MAX_LIMIT, `total` always counts them all.
DEFAULT_LIMIT = 100
SUBGRAPH_DEFAULT_LIMIT = 1000  # a drawing wants the neighbourhood at once
MAX_LIMIT = 10_000
MAX_IDS_LIMIT = 1_000_000  # ids only: ~30 bytes each in JSON
MAX_DEPTH = 10_000
_CURSOR_PREFIX = "v1:"
# The Cypher closure queries, (upstream, downstream): pages with properties, and ids only.
_PAGES = ("lineage_upstream", "lineage_downstream")
_IDS = ("lineage_upstream_ids", "lineage_downstream_ids")


class Subgraph(BaseModel):
    """Nodes (root first) and the lineage edges among them, for drawing."""

    root: str
    nodes: list[Artifact]
    edges: list[LineageEdge]
    total: int
    complete: bool
    truncated_reason: str | None = None


class LineageIds(BaseModel):
    """The ids of an ancestry or impact in id order, without properties or edges: the
    whole closure in one answer up to ``MAX_IDS_LIMIT``."""

    root: str
    direction: Direction
    ids: list[str]
    total: int = Field(description="distinct nodes in the whole answer, across all pages")
    complete: bool
    truncated_reason: TruncatedReason | None = None
    next_cursor: str | None = None


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"invalid cursor {cursor!r}") from exc
    if not raw.startswith(_CURSOR_PREFIX):
        raise InvalidInput(f"invalid cursor {cursor!r}")
    return raw.removeprefix(_CURSOR_PREFIX)


def _kinds(edge_kinds: Iterable[EdgeKind | str] | None) -> list[str]:
    if edge_kinds is None:
        return list(LINEAGE_EDGE_KINDS)
    kinds = [EdgeKind(k).value for k in edge_kinds]
    if not kinds:
        raise InvalidInput("edge_kinds must name at least one lineage relationship type")
    return kinds


def _check_bounds(
    max_depth: int | None, limit: int, max_limit: int | None = None
) -> tuple[int | None, int]:
    """Bounds below 1 are errors; bounds above the caps (``max_limit``: ``MAX_LIMIT``, read
    at the call) are clamped to them, and the answer then says ``complete: false`` (with a
    cursor) instead of running long or timing out."""
    if max_depth is not None and max_depth < 1:
        raise InvalidInput("max_depth must be at least 1")
    if limit < 1:
        raise InvalidInput("limit must be at least 1")
    cap = MAX_LIMIT if max_limit is None else max_limit
    return (None if max_depth is None else min(max_depth, MAX_DEPTH)), min(limit, cap)


def lineage(
    store: Store,
    artifact_id: str,
    *,
    direction: Direction = Direction.UPSTREAM,
    max_depth: int | None = None,
    edge_kinds: Iterable[EdgeKind | str] | None = None,
    as_of: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Lineage:
    """One page of the ancestry or impact of ``artifact_id``, ordered by id.

    Questions about now go to the in-memory lineage index when it is valid for the graph
    as it is (``lineage_index``); the Cypher queries answer everything else.
    """
    max_depth, limit = _check_bounds(max_depth, limit)
    kinds = _kinds(edge_kinds)
    after = decode_cursor(cursor) if cursor else None
    if as_of is None:
        indexed = _from_index(store, artifact_id, direction, max_depth, kinds, after, limit)
        if indexed is not None:
            return indexed
    row = _closure_row(store, _PAGES, artifact_id, direction, max_depth, kinds, as_of, after, limit)
    total, remaining, beyond = row["total"], row["remaining"], bool(row["beyond_depth"])
    nodes = [artifact_props(n) for n in row["nodes"]]
    edges = [edge_props(e) for e in row["edges"]]
    return _answer(artifact_id, direction, nodes, edges, total, remaining, beyond)


def _closure_row(
    store: Store,
    queries: tuple[str, str],
    artifact_id: str,
    direction: Direction,
    max_depth: int | None,
    kinds: list[str],
    as_of: datetime | None,
    after: str | None,
    limit: int,
) -> dict[str, Any]:
    """The one row of a Cypher closure query, ``queries`` being the (upstream, downstream)
    pair of pages or of ids; NotFound for an unknown artifact."""
    rows = store.query(
        queries[0] if direction is Direction.UPSTREAM else queries[1],
        max_depth=max_depth,
        id=artifact_id,
        edge_kinds=kinds,
        as_of=as_of_instant(as_of),
        after=after,
        limit=limit,
        depth_bounded=max_depth is not None,
    )
    if not rows:
        raise NotFound(artifact_id)
    return rows[0]


def _answer(
    artifact_id: str,
    direction: Direction,
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    total: int,
    remaining: int,
    beyond_depth: bool,
) -> Lineage:
    """The answer from plain node and edge dicts (``records.artifact_props``/``edge_props``)."""
    more = remaining > len(nodes)
    reason: TruncatedReason | None = "limit" if more else ("max_depth" if beyond_depth else None)
    # One validation of the whole answer: pydantic walks the lists in Rust, a third of
    # the cost of validating each node and edge from Python (docs/benchmarks.md).
    return Lineage.model_validate(
        {
            "root": artifact_id,
            "direction": direction,
            "nodes": nodes,
            "edges": edges,
            "total": total,
            "complete": reason is None,
            "truncated_reason": reason,
            "next_cursor": encode_cursor(nodes[-1]["id"]) if more and nodes else None,
        }
    )


def _from_index(
    store: Store,
    artifact_id: str,
    direction: Direction,
    max_depth: int | None,
    kinds: list[str],
    after: str | None,
    limit: int,
) -> Lineage | None:
    """The same answer as the Cypher query, with the closure from the lineage index; None
    when the index cannot answer (not built, stale, or an id it does not know)."""
    now = datetime.now(UTC)
    index = index_for(store)
    snapshot = index.latest(now) or index.current(store, now)
    if snapshot is None:
        return None
    root = snapshot.position(artifact_id)
    if root is None:
        index.current(store, now)  # a new artifact? then a write: start the next snapshot
        return None
    closure = snapshot.closure(root, direction, kinds, max_depth)
    rest = closure.positions
    if after is not None:
        rest = rest[rest >= snapshot.first_after(after)]
    page_ids = snapshot.id_list(rest[:limit])
    upstream = direction is Direction.UPSTREAM
    children = ([artifact_id] if upstream and after is None else []) + page_ids
    page = store.query(
        "lineage_page", ids=page_ids, children=children, edge_kinds=kinds, as_of=now, raw=True
    )
    row = page[0]
    if int(row["epoch"]) != snapshot.epoch:
        index.current(store, now)  # a write since the snapshot: start the next one
        return None
    if len(row["nodes"]) != len(page_ids):
        return None  # an artifact went away since the snapshot: let Cypher answer
    decoded = _page_items(row)
    if decoded is None:
        return None
    nodes, found = decoded
    if upstream and max_depth is None:
        # Every valid parent of an ancestor is an ancestor: nothing to filter.
        total, remaining = int(closure.positions.size), int(rest.size)
        return _answer(artifact_id, direction, nodes, found, total, remaining, False)
    at = snapshot.positions([e["to"] for e in found])
    # A binary search in the (sorted) closure, not a mask over every artifact per question.
    keep = (at >= 0) & _within(closure.positions, at)
    if not upstream:
        keep |= at == root  # impact edges may point at the root itself
    edges = [e for e, kept in zip(found, keep.tolist(), strict=True) if kept]
    total, remaining = int(closure.positions.size), int(rest.size)
    return _answer(artifact_id, direction, nodes, edges, total, remaining, closure.beyond_depth)


def _page_items(
    row: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """The nodes and edges of a row with datetimes as text (``lineage_page``,
    ``lineage_subgraph``) as the plain dicts ``Artifact`` and ``LineageEdge`` validate;
    None when a datetime text has a shape ``page_props`` cannot read."""
    nodes: list[dict[str, Any]] = []
    for item in row["nodes"]:
        props = page_props(item)
        if props is None:
            return None
        props["kind"] = item["kind"]
        nodes.append(decode_attrs(props))
    edges: list[dict[str, Any]] = []
    for item in row["edges"]:
        props = page_props(item)
        if props is None:
            return None
        edges.append({**props, "from": item["from"], "to": item["to"], "type": item["type"]})
    return nodes, edges


def _within(
    sorted_positions: npt.NDArray[np.int64], at: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Which of ``at`` are among ``sorted_positions`` (ascending)."""
    if sorted_positions.size == 0:
        return np.zeros(at.shape, dtype=bool)
    found = np.minimum(np.searchsorted(sorted_positions, at), sorted_positions.size - 1)
    return np.asarray(sorted_positions[found] == at)


def lineage_ids(
    store: Store,
    artifact_id: str,
    *,
    direction: Direction = Direction.UPSTREAM,
    max_depth: int | None = None,
    edge_kinds: Iterable[EdgeKind | str] | None = None,
    as_of: datetime | None = None,
    limit: int = MAX_IDS_LIMIT,
    cursor: str | None = None,
) -> LineageIds:
    """The same closure as ``lineage``, as ids only. About now, with the lineage index
    valid, no artifact is read from Neo4j at all; otherwise the ids-only Cypher queries
    answer (no properties or edges are read)."""
    max_depth, limit = _check_bounds(max_depth, limit, MAX_IDS_LIMIT)
    kinds = _kinds(edge_kinds)
    found = None
    if as_of is None:
        found = _indexed_ids(store, artifact_id, direction, max_depth, kinds, cursor, limit)
    if found is None:
        return _ids_from_cypher(
            store, artifact_id, direction, max_depth, kinds, as_of, cursor, limit
        )
    answer, snapshot, page = found
    answer.ids = snapshot.id_list(page)
    return answer


def lineage_ids_json(
    store: Store,
    artifact_id: str,
    *,
    direction: Direction = Direction.UPSTREAM,
    max_depth: int | None = None,
    edge_kinds: Iterable[EdgeKind | str] | None = None,
    as_of: datetime | None = None,
    limit: int = MAX_IDS_LIMIT,
    cursor: str | None = None,
) -> bytes:
    """``lineage_ids``' answer as the JSON the API sends (``model_dump_json``). From the
    lineage index the ids are written straight from its keys (``Snapshot.ids_json``): no
    str object per id, which for a 688k-id answer was ~100 MB of short-lived objects."""
    max_depth, limit = _check_bounds(max_depth, limit, MAX_IDS_LIMIT)
    kinds = _kinds(edge_kinds)
    found = None
    if as_of is None:
        found = _indexed_ids(store, artifact_id, direction, max_depth, kinds, cursor, limit)
    if found is None:
        answer = _ids_from_cypher(
            store, artifact_id, direction, max_depth, kinds, as_of, cursor, limit
        )
        return answer.model_dump_json(by_alias=True).encode()
    answer, snapshot, page = found
    ids = snapshot.ids_json(page)
    if ids is None:
        answer.ids = snapshot.id_list(page)
        return answer.model_dump_json(by_alias=True).encode()
    # Safe to splice: inside a JSON string a quote is always escaped, so only the field
    # itself reads `"ids":[]` (root, before it, is such a string).
    head, tail = answer.model_dump_json(by_alias=True).encode().split(_NO_IDS, 1)
    return head + b'"ids":' + ids + tail


_NO_IDS = b'"ids":[]'


def _ids_from_cypher(
    store: Store,
    artifact_id: str,
    direction: Direction,
    max_depth: int | None,
    kinds: list[str],
    as_of: datetime | None,
    cursor: str | None,
    limit: int,
) -> LineageIds:
    after = decode_cursor(cursor) if cursor else None
    row = _closure_row(store, _IDS, artifact_id, direction, max_depth, kinds, as_of, after, limit)
    ids = list(row["ids"])
    more = row["remaining"] > len(ids)
    reason: TruncatedReason | None = (
        "limit" if more else ("max_depth" if row["beyond_depth"] else None)
    )
    return LineageIds(
        root=artifact_id,
        direction=direction,
        ids=ids,
        total=row["total"],
        complete=reason is None,
        truncated_reason=reason,
        next_cursor=encode_cursor(ids[-1]) if more and ids else None,
    )


def _indexed_ids(
    store: Store,
    artifact_id: str,
    direction: Direction,
    max_depth: int | None,
    kinds: list[str],
    cursor: str | None,
    limit: int,
) -> tuple[LineageIds, Snapshot, Positions] | None:
    """The answer from the lineage index, but for its ids (empty), with the snapshot and
    the positions of the ids it holds; None where the index cannot answer."""
    # `current` reads the epoch: the snapshot is the graph as it is now.
    snapshot = index_for(store).current(store)
    root = None if snapshot is None else snapshot.position(artifact_id)
    if snapshot is None or root is None:
        return None
    closure = snapshot.closure(root, direction, kinds, max_depth)
    rest = closure.positions
    if cursor:
        rest = rest[rest >= snapshot.first_after(decode_cursor(cursor))]
    page = rest[:limit]
    more = rest.size > page.size
    reason: TruncatedReason | None = (
        "limit" if more else ("max_depth" if closure.beyond_depth else None)
    )
    # Every field is built here from the index (ints, the enum; the caller sets the ids
    # as a list of str): validating 123k ids again cost ~5 ms of a ~57 ms closure at L.
    answer = LineageIds.model_construct(
        root=artifact_id,
        direction=direction,
        ids=[],
        total=int(closure.positions.size),
        complete=reason is None,
        truncated_reason=reason,
        next_cursor=encode_cursor(snapshot.id_list(page[-1:])[0]) if more and page.size else None,
    )
    return answer, snapshot, page


def subgraph(
    store: Store,
    artifact_id: str,
    *,
    edge_kinds: Iterable[EdgeKind | str] | None = None,
    as_of: datetime | None = None,
    limit: int = SUBGRAPH_DEFAULT_LIMIT,
) -> Subgraph:
    """The root, its ancestors and descendants (capped at ``limit`` nodes) and their edges."""
    _, limit = _check_bounds(None, limit)
    kinds, instant = _kinds(edge_kinds), as_of_instant(as_of)  # one instant for both tries
    decoded = None
    for as_text in (True, False):  # as values: a datetime text page_props cannot read
        rows = store.query(
            "lineage_subgraph",
            id=artifact_id,
            edge_kinds=kinds,
            as_of=instant,
            limit=limit,
            as_text=as_text,
            raw=True,
        )
        if not rows:
            raise NotFound(artifact_id)
        row = rows[0]
        kept = {item["props"]["id"] for item in row["nodes"]}
        row["edges"] = [item for item in row["edges"] if item["to"] in kept]
        decoded = _page_items(row)
        if decoded is not None:
            break
    assert decoded is not None  # without text, page_props reads every value
    nodes, edges = decoded
    complete = row["total"] <= limit
    return Subgraph.model_validate(
        {
            "root": artifact_id,
            "nodes": nodes,
            "edges": edges,
            "total": row["total"],
            "complete": complete,
            "truncated_reason": None if complete else "limit",
        }
    )


def witness_path(
    store: Store,
    source: str,
    target: str,
    *,
    edge_kinds: Iterable[EdgeKind | str] | None = None,
    as_of: datetime | None = None,
) -> WitnessPath:
    """One shortest upstream path from ``source`` to its ancestor ``target``, if any."""
    kinds = _kinds(edge_kinds)
    if source == target:
        raise InvalidInput("FROM and TO are the same artifact: a path needs an ancestor")
    rows = store.query(
        "witness_path", {"from": source, "to": target}, edge_kinds=kinds, as_of=as_of_instant(as_of)
    )
    if not rows:
        for artifact_id in (source, target):
            if not store.query("artifact_kinds", ids=[artifact_id]):
                raise NotFound(artifact_id)
        return WitnessPath(source=source, target=target, found=False, nodes=[], edges=[])
    row = rows[0]
    return WitnessPath(
        source=source,
        target=target,
        found=True,
        nodes=list(row["ids"]),
        edges=[edge_from_row(e) for e in row["edges"]],
    )
