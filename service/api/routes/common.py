"""Shared bits of the routes: OpenAPI problem responses, JSON answers."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel

from provgraph.service.models import Problem

__all__ = ["json_response", "problems"]


def json_response(answer: BaseModel) -> Response:
    """The answer's JSON as pydantic writes it (in Rust), for routes that declare the
    model as ``response_model``: FastAPI would validate the model again and encode it
    in Python, ten times the cost for a 1,000-node lineage page (docs/benchmarks.md)."""
    return Response(answer.model_dump_json(by_alias=True), media_type="application/json")


_DESCRIPTIONS = {
    404: "Unknown artifact id",
    409: "The write would close a lineage cycle (the `cycle` member has its path)",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input (the `errors` member lists each problem)",
    503: "Neo4j is unreachable (retry after `Retry-After` seconds)",
    504: "The query ran past its time limit",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each code documented as an RFC 9457 problem document."""
    return {
        code: {
            "model": Problem,
            "description": _DESCRIPTIONS[code],
            "content": {"application/problem+json": {}},
        }
        for code in (*codes, 503)
    }
