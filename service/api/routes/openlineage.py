"""The OpenLineage receiver: `POST /api/v1/lineage`, where Marquez takes RunEvents, so an
`openlineage-python` client (``OPENLINEAGE_URL``) or an orchestrator emits here unchanged."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import problems
from provgraph.service.errors import InvalidInput
from provgraph.service.models import IngestReport
from provgraph.service.openlineage import ingest_run_event

__all__ = ["router"]

router = APIRouter(tags=["openlineage"])


@router.post(
    "/lineage",
    status_code=201,
    summary="Receive one OpenLineage RunEvent (inputs, outputs, provgraph facets) as lineage",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
    responses=problems(409, 422),
)
async def post_lineage(request: Request, store: StoreDep) -> IngestReport:
    body = await request.body()
    try:
        payload: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the body is not JSON: {exc}") from exc
    return await run_in_threadpool(ingest_run_event, store, payload)
