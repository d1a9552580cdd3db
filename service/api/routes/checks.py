"""Dataset checks: run one in the background, read its status and report, list the latest."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request, Response, status

from provgraph.service.api.deps import StoreDep, StoreHolder
from provgraph.service.api.routes.common import problems
from provgraph.service.checks.lineage import lineage_checks
from provgraph.service.checks.models import CheckJob, CheckRequest, CheckSummary
from provgraph.service.models import Direction

if TYPE_CHECKING:  # imported on first use: the check engine's libraries weigh ~25 MB
    from provgraph.service.checks.jobs import CheckJobs

__all__ = ["router"]

router = APIRouter(tags=["checks"])
_JOBS_LOCK = threading.Lock()


def _jobs(request: Request) -> CheckJobs:
    """The app's job queue, made on first use (so create_app needs no change)."""
    from provgraph.service.checks.jobs import CheckJobs

    with _JOBS_LOCK:
        jobs: CheckJobs | None = getattr(request.app.state, "check_jobs", None)
        if jobs is None:
            holder: StoreHolder = request.app.state.stores
            jobs = CheckJobs(holder.get)
            request.app.state.check_jobs = jobs
        return jobs


@router.post(
    "/checks",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Check a dataset file against references (runs in the background)",
    responses=problems(404, 422),
)
def post_check(body: CheckRequest, request: Request, response: Response) -> CheckJob:
    job = _jobs(request).submit(body)
    response.headers["Location"] = f"{request.url.path}/{job.id}"
    return job


@router.get(
    "/checks/{check_id}",
    summary="A check's status, progress and (when done) its report",
    responses=problems(404),
)
def get_check(check_id: str, request: Request) -> CheckJob:
    return _jobs(request).get(check_id)


@router.get(
    "/artifacts/{artifact_id:path}/checks",
    summary="The latest checks of an artifact, or of its whole lineage",
    responses=problems(404, 422),
)
def get_artifact_checks(
    artifact_id: str,
    store: StoreDep,
    lineage: Annotated[
        Direction | None,
        Query(description="also the latest check of every upstream/downstream artifact"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 5,
) -> list[CheckSummary]:
    return lineage_checks(store, artifact_id, direction=lineage, limit=limit)
