"""Synthetic-data risk and record-level provenance of one artifact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import problems
from provgraph.service.manifests import RecordList, records_from
from provgraph.service.risk import RiskReport, RiskThresholds, risk_report

__all__ = ["router"]

router = APIRouter(tags=["risk"])


@router.get(
    "/artifacts/{artifact_id:path}/risk",
    summary="Synthetic generations, human fraction, self-consumption, vendors, contamination",
    responses=problems(404, 422, 504),
)
def get_risk(
    artifact_id: str,
    store: StoreDep,
    request: Request,
    min_human_fraction: Annotated[
        float | None, Query(ge=0, le=1, description="flag below this share of human data")
    ] = None,
    max_generations: Annotated[
        int | None, Query(ge=0, description="flag beyond this many synthetic generations")
    ] = None,
    as_of: Annotated[datetime | None, Query(description="lineage as of this instant")] = None,
) -> RiskReport:
    defaults: RiskThresholds = request.app.state.risk_thresholds
    thresholds = RiskThresholds(
        defaults.min_human_fraction if min_human_fraction is None else min_human_fraction,
        defaults.max_generations if max_generations is None else max_generations,
    )
    return risk_report(store, artifact_id, thresholds=thresholds, as_of=as_of)


@router.get(
    "/artifacts/{artifact_id:path}/records",
    summary="Records of a dataset that one generator model made (from its run manifests)",
    responses=problems(404, 422, 504),
)
def get_records(
    artifact_id: str,
    store: StoreDep,
    generator: Annotated[str, Query(description="generator model id")],
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> RecordList:
    return records_from(store, artifact_id, generator, limit=limit)
