"""Shared OpenAPI bits for the routes."""

from __future__ import annotations

from typing import Any

from provgraph.service.models import Problem

__all__ = ["problems"]

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
