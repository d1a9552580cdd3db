"""The domain entry point of a check: validate, compute, record (CLI and API call this)."""

from __future__ import annotations

from typing import IO

from provgraph.service.checks.engine import Progress, run_check
from provgraph.service.checks.graph import check_ids_given, record_check, resolve_inputs
from provgraph.service.checks.models import CheckReport, CheckRequest
from provgraph.service.checks.patterns import load_patterns
from provgraph.service.checks.readers import TextSelector, detect_format
from provgraph.service.errors import InvalidInput
from provgraph.service.store import Store

__all__ = ["check_dataset", "validate_request"]


def validate_request(request: CheckRequest, store: Store | None) -> None:
    """Everything that can be refused before reading data: paths, formats, the text
    selector, the patterns file, and (with a store) the artifact ids."""
    from pathlib import Path

    for data in (request.dataset, *request.references):
        path = Path(data.path)
        if not path.exists():
            raise InvalidInput(f"no such file or directory: {data.path}")
        detect_format(path, data.format)
    TextSelector(request.text_field, request.template)
    load_patterns(request.patterns)
    check_ids_given(request)
    if store is not None:
        resolve_inputs(store, request)


def check_dataset(
    request: CheckRequest,
    *,
    store: Store | None,
    check_id: str | None = None,
    progress: Progress | None = None,
    details: IO[str] | None = None,
    workers: int | None = None,
    validated: bool = False,
) -> CheckReport:
    """Run a check and, when the dataset has an id and ``request.record``, record it as a
    `:Check` node with its alerts. ``store`` None (or no dataset id) only reports."""
    if not validated:
        validate_request(request, store)
    report = run_check(
        request, check_id=check_id, progress=progress, details=details, workers=workers
    )
    if store is not None and request.record and request.dataset.id is not None:
        report = record_check(store, report)
    return report
