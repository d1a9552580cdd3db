"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The API process is alive (does not touch Neo4j)")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Neo4j answers queries (503 problem document otherwise)")
def readyz(request: Request) -> dict[str, str]:
    store = request.app.state.stores.get()
    store.ping()
    return {"status": "ready", "database": store.database}
