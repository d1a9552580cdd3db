"""Licenses and terms along lineage: effective clauses, conflicts, use checks, attribution."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from provgraph.service.api.answers import cached_json
from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import json_response, problems
from provgraph.service.licensing import report
from provgraph.service.licensing.propagation import Policy
from provgraph.service.licensing.rules import severity_rank
from provgraph.service.models import Distribution, IntendedUse

__all__ = ["router"]

router = APIRouter(tags=["licenses"])

PolicyQuery = Annotated[
    Policy,
    Query(
        description="strict: vendor terms count as non-commercial (DPI); lenient: contract "
        "terms bind only the account holder"
    ),
]
AsOfQuery = Annotated[datetime | None, Query(description="Lineage and licenses as of this instant")]


class ConflictList(BaseModel):
    id: str
    policy: Policy
    conflicts: list[dict[str, Any]]
    complete: bool


class UseCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    artifact: str
    intended_use: IntendedUse
    distribution: Distribution
    policy: Policy = Policy.STRICT
    as_of: datetime | None = None


@router.get(
    "/artifacts/{artifact_id:path}/licenses",
    summary="Declared license, effective clauses (origin, path, citation), category, conflicts",
    response_model=report.LicenseReport,
    responses=problems(404, 422, 504),
)
def get_licenses(
    artifact_id: str,
    store: StoreDep,
    request: Request,
    policy: PolicyQuery = Policy.STRICT,
    as_of: AsOfQuery = None,
) -> Response:
    def answer() -> report.LicenseReport:
        return report.license_report(store, artifact_id, policy=policy, as_of=as_of)

    if as_of is not None:
        return json_response(answer())
    return cached_json(request, store, ("licenses", artifact_id, policy), answer)


@router.get(
    "/artifacts/{artifact_id:path}/conflicts",
    summary="Conflict findings of one artifact, each with rule, origin, path and remedy",
    responses=problems(404, 422, 504),
)
def get_conflicts(
    artifact_id: str,
    store: StoreDep,
    policy: PolicyQuery = Policy.STRICT,
    as_of: AsOfQuery = None,
    severity: Annotated[
        Literal["error", "warning"], Query(description="minimum severity")
    ] = "warning",
) -> ConflictList:
    answer = report.license_report(store, artifact_id, policy=policy, as_of=as_of)
    kept = [c for c in answer.conflicts if severity_rank(c["severity"]) >= severity_rank(severity)]
    return ConflictList(id=artifact_id, policy=policy, conflicts=kept, complete=answer.complete)


@router.get(
    "/artifacts/{artifact_id:path}/attribution",
    summary="The notices, credits and license copies a release must carry",
    responses=problems(404, 422, 504),
)
def get_attribution(
    artifact_id: str, store: StoreDep, policy: PolicyQuery = Policy.STRICT, as_of: AsOfQuery = None
) -> list[report.AttributionItem]:
    return report.attribution(store, artifact_id, policy=policy, as_of=as_of)


@router.post(
    "/use-check",
    summary="Verdict for a planned use: may this artifact be used this way, and why not",
    responses=problems(404, 422, 504),
)
def post_use_check(body: UseCheckRequest, store: StoreDep) -> report.UseVerdict:
    return report.use_check(
        store,
        body.artifact,
        intended_use=body.intended_use,
        distribution=body.distribution,
        policy=body.policy,
        as_of=body.as_of,
    )
