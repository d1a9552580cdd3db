"""Artifacts and edges: read, upsert, link; and graph counts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from provgraph.service import artifacts as domain
from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import problems
from provgraph.service.errors import InvalidInput
from provgraph.service.models import ArtifactDetail, EdgeRecord, IngestReport, NodeRecord, Stats
from provgraph.service.ndjson import parse_record

__all__ = ["router"]

router = APIRouter(tags=["artifacts"])


@router.get("/stats", summary="Node counts per label and relationship counts per type")
def get_stats(store: StoreDep) -> Stats:
    return domain.stats(store)


@router.post(
    "/edges",
    status_code=status.HTTP_201_CREATED,
    summary="Add (or update) one lineage edge between two existing artifacts",
    responses=problems(404, 409, 422),
)
def post_edge(edge: EdgeRecord, store: StoreDep, response: Response) -> IngestReport:
    report = domain.add_edge(store, edge)
    if report.relationships_created == 0:
        response.status_code = status.HTTP_200_OK
    return report


@router.get(
    "/artifacts/{artifact_id:path}",
    summary="One artifact with its properties and declared licenses",
    responses=problems(404),
)
def get_artifact(artifact_id: str, store: StoreDep) -> ArtifactDetail:
    return domain.get_artifact(store, artifact_id)


@router.put(
    "/artifacts/{artifact_id:path}",
    summary="Create or update an artifact (fields not given are kept)",
    status_code=status.HTTP_200_OK,
    responses={201: {"description": "Created", "model": ArtifactDetail}, **problems(422)},
)
def put_artifact(
    artifact_id: str,
    store: StoreDep,
    response: Response,
    body: Annotated[
        dict[str, Any],
        Body(
            description="A node record of the NDJSON format; `id` may be omitted "
            "(it is taken from the path)",
            examples=[
                {"node": "dataset", "name": "Alpaca", "license": "CC-BY-NC-4.0", "records": 52002}
            ],
        ),
    ],
) -> ArtifactDetail:
    if body.get("id", artifact_id) != artifact_id:
        raise InvalidInput(f"body id {body['id']!r} does not match the path id {artifact_id!r}")
    record = parse_record({**body, "id": artifact_id})
    if not isinstance(record, NodeRecord):
        raise InvalidInput("expected a node record (with a 'node' kind), not an edge")
    artifact, created = domain.upsert_artifact(store, record)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return artifact
