"""Bulk ingest of NDJSON (``application/x-ndjson``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import problems
from provgraph.service.errors import ProvgraphError
from provgraph.service.ingest import ingest_lines
from provgraph.service.models import IngestReport

__all__ = ["MAX_BODY_BYTES", "router"]

router = APIRouter(tags=["ingest"])

MAX_BODY_BYTES = 256 * 1024 * 1024
NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl"}


class UnsupportedMediaType(ProvgraphError):
    title = "Unsupported media type"
    status = 415
    slug = "unsupported-media-type"


class PayloadTooLarge(ProvgraphError):
    title = "Payload too large"
    status = 413
    slug = "too-large"


@router.post(
    "/ingest",
    summary="Load an NDJSON file of nodes and edges (all-or-nothing unless skip_invalid)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses=problems(409, 413, 415, 422),
)
async def post_ingest(
    request: Request,
    store: StoreDep,
    skip_invalid: Annotated[
        bool, Query(description="Load the valid lines, report the rest")
    ] = False,
) -> IngestReport:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in NDJSON_TYPES:
        raise UnsupportedMediaType(
            f"send NDJSON as application/x-ndjson, not {media_type or 'nothing'!r}"
        )
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"request body exceeds {MAX_BODY_BYTES} bytes; split the file")
    lines = bytes(body).split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(
        ingest_lines, store, lines, source="request body", skip_invalid=skip_invalid
    )
