"""Background checks for the API: one queue, run one at a time in a thread.

A job is validated when submitted (bad paths, ids and options are refused at once, 422 or
404), then queued; its status, progress and report are kept in memory. A finished, recorded
check stays readable from the graph after a restart (``GET /api/v1/checks/{id}`` falls back
to the `:Check` node). Checks run in-process (one core): forking worker processes from a
threaded server is not safe; the CLI uses both cores.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from provgraph.service.checks.graph import CheckNotFound, get_check
from provgraph.service.checks.models import CheckJob, CheckRequest
from provgraph.service.checks.run import check_dataset, validate_request
from provgraph.service.errors import ProvgraphError
from provgraph.service.store import Store

__all__ = ["CheckJobs"]

MAX_JOBS_KEPT = 200


class CheckJobs:
    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._jobs: dict[str, CheckJob] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="provgraph-check")

    def submit(self, request: CheckRequest) -> CheckJob:
        store = self._store() if request.dataset.id is not None else None
        validate_request(request, store)
        job = CheckJob(id=str(uuid.uuid4()), status="queued", submitted_at=datetime.now(UTC))
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job.id, request)
        return job.model_copy()

    def get(self, job_id: str) -> CheckJob:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return job.model_copy()
        try:
            uuid.UUID(job_id)
        except ValueError:
            raise CheckNotFound(job_id) from None
        report = get_check(self._store(), job_id)
        return CheckJob(
            id=job_id,
            status="succeeded",
            submitted_at=report.started_at,
            records_done=report.records,
            report=report,
        )

    def _update(self, job_id: str, **fields: object) -> None:
        with self._lock:
            job = self._jobs[job_id]
            self._jobs[job_id] = job.model_copy(update=fields)

    def _run(self, job_id: str, request: CheckRequest) -> None:
        self._update(job_id, status="running")

        def progress(phase: str, done: int, total: int | None) -> None:
            self._update(job_id, phase=phase, records_done=done)

        try:
            store = self._store() if request.dataset.id is not None else None
            report = check_dataset(
                request,
                store=store,
                check_id=job_id,
                progress=progress,
                workers=1,
                validated=True,
            )
        except ProvgraphError as exc:
            self._update(job_id, status="failed", error=exc.detail)
        except Exception as exc:  # a job must end with a status, whatever went wrong
            self._update(job_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        else:
            self._update(
                job_id, status="succeeded", report=report, records_done=report.records, phase=None
            )

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in ("succeeded", "failed")]
        for job in sorted(finished, key=lambda j: j.submitted_at)[
            : max(0, len(self._jobs) - MAX_JOBS_KEPT)
        ]:
            del self._jobs[job.id]

    def wait(self, job_id: str, timeout: float = 60.0) -> CheckJob:
        """Block until the job ends (for tests and embedders)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job.status in ("succeeded", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
