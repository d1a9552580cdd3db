"""The audit trail: which writes touched an artifact, when, and through which token or run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import problems
from provgraph.service.security import AuditTrail, artifact_audit
from provgraph.service.security.audit import MAX_AUDIT_LIMIT

__all__ = ["router"]

router = APIRouter(tags=["audit"])


@router.get(
    "/artifacts/{artifact_id:path}/audit",
    summary="Recorded writes of one artifact, newest first: who, when, which token or SDK run",
    responses=problems(404),
)
def get_audit(
    artifact_id: str,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_LIMIT)] = 100,
) -> AuditTrail:
    return artifact_audit(store, artifact_id, limit=limit)
