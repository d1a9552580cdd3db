"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from provgraph.service.api.answers import ANSWERS
from provgraph.service.lineage_index import index_for

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The API process is alive (does not touch Neo4j)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Neo4j answers queries (503 problem document otherwise)")
def readyz(request: Request) -> dict[str, Any]:
    store = request.app.state.stores.get()
    store.ping()
    return {
        "status": "ready",
        "database": store.database,
        "lineage_index": index_for(store).status(),
        "answer_cache": ANSWERS.status(),
    }
