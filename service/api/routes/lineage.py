"""Lineage: ancestry and impact pages, a drawable subgraph, one witness path."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from provgraph.service import lineage as domain
from provgraph.service.api.answers import cached_json
from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import json_response, problems
from provgraph.service.errors import InvalidInput
from provgraph.service.models import Direction, EdgeKind, Lineage, WitnessPath

__all__ = ["router"]

router = APIRouter(tags=["lineage"])

EdgeKindsQuery = Annotated[
    list[str] | None,
    Query(
        description="Lineage relationship types to follow, comma-separated or repeated "
        "(default: all of DERIVED_FROM, GENERATED_BY, TRAINED_ON, FINE_TUNED_FROM)",
    ),
]
AsOfQuery = Annotated[
    datetime | None, Query(description="Only edges valid at this instant (ISO 8601); default now")
]


def _edge_kinds(raw: list[str] | None) -> list[EdgeKind] | None:
    if raw is None:
        return None
    names = [part.strip() for item in raw for part in item.split(",") if part.strip()]
    try:
        return [EdgeKind(name.upper()) for name in names]
    except ValueError as exc:
        allowed = ", ".join(k.value for k in EdgeKind)
        raise InvalidInput(f"edge_kinds: {exc}; expected some of {allowed}") from exc


@router.get(
    "/artifacts/{artifact_id:path}/lineage/ids",
    summary="The ids of the ancestry or impact of an artifact, without properties or edges",
    response_model=domain.LineageIds,
    responses=problems(404, 422, 504),
)
def get_lineage_ids(
    artifact_id: str,
    store: StoreDep,
    direction: Direction = Direction.UPSTREAM,
    max_depth: Annotated[
        int | None, Query(ge=1, description=f"hops to follow (capped at {domain.MAX_DEPTH})")
    ] = None,
    edge_kinds: EdgeKindsQuery = None,
    as_of: AsOfQuery = None,
    limit: Annotated[
        int, Query(ge=1, description=f"ids per answer (capped at {domain.MAX_IDS_LIMIT})")
    ] = domain.MAX_IDS_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous answer")] = None,
) -> Response:
    answer = domain.lineage_ids_json(
        store,
        artifact_id,
        direction=direction,
        max_depth=max_depth,
        edge_kinds=_edge_kinds(edge_kinds),
        as_of=as_of,
        limit=limit,
        cursor=cursor,
    )
    return Response(answer, media_type="application/json")


@router.get(
    "/artifacts/{artifact_id:path}/lineage",
    summary="Ancestry (upstream) or impact (downstream) of an artifact, one page at a time",
    response_model=Lineage,
    responses=problems(404, 422, 504),
)
def get_lineage(
    artifact_id: str,
    store: StoreDep,
    request: Request,
    direction: Direction = Direction.UPSTREAM,
    max_depth: Annotated[
        int | None, Query(ge=1, description=f"hops to follow (capped at {domain.MAX_DEPTH})")
    ] = None,
    edge_kinds: EdgeKindsQuery = None,
    as_of: AsOfQuery = None,
    limit: Annotated[
        int, Query(ge=1, description=f"nodes per page (capped at {domain.MAX_LIMIT})")
    ] = domain.DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
) -> Response:
    kinds = _edge_kinds(edge_kinds)

    def page() -> Lineage:
        return domain.lineage(
            store,
            artifact_id,
            direction=direction,
            max_depth=max_depth,
            edge_kinds=kinds,
            as_of=as_of,
            limit=limit,
            cursor=cursor,
        )

    if as_of is not None:
        return json_response(page())
    key = (
        "lineage",
        artifact_id,
        direction,
        max_depth,
        None if kinds is None else tuple(kinds),  # a key must be hashable; [] stays apart
        limit,
        cursor,
    )
    return cached_json(request, store, key, page)


@router.get(
    "/artifacts/{artifact_id:path}/subgraph",
    summary="The artifact, its ancestors and descendants, and the edges among them (for drawing)",
    response_model=domain.Subgraph,
    responses=problems(404, 422, 504),
)
def get_subgraph(
    artifact_id: str,
    store: StoreDep,
    edge_kinds: EdgeKindsQuery = None,
    as_of: AsOfQuery = None,
    limit: Annotated[
        int, Query(ge=1, description=f"nodes per page (capped at {domain.MAX_LIMIT})")
    ] = domain.SUBGRAPH_DEFAULT_LIMIT,
) -> Response:
    answer = domain.subgraph(
        store, artifact_id, edge_kinds=_edge_kinds(edge_kinds), as_of=as_of, limit=limit
    )
    return json_response(answer)


@router.get(
    "/artifacts/{artifact_id:path}/path",
    summary="One shortest lineage path from the artifact up to one of its ancestors",
    responses=problems(404, 422, 504),
)
def get_path(
    artifact_id: str,
    store: StoreDep,
    to: Annotated[str, Query(description="id of the ancestor")],
    edge_kinds: EdgeKindsQuery = None,
    as_of: AsOfQuery = None,
) -> WitnessPath:
    return domain.witness_path(
        store, artifact_id, to, edge_kinds=_edge_kinds(edge_kinds), as_of=as_of
    )
