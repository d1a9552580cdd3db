"""Checks in the graph: the `:Check` node of a run, the latest checks of an artifact, and
the findings of a run recorded as alerts beside the license conflicts.

A run is one `(:Check)` with its figures, `-[:CHECKED]->` the dataset and `-[:AGAINST]->`
each reference (with the per-reference figures). Findings become `:Conflict` alerts on the
dataset (rule ``check-...``, no license policy), through the same queries, lock and webhook
queue as conflicts (service/alerts): a finding raised again keeps its alert open, one no
longer raised is resolved, a new one is delivered to the webhooks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from provgraph.service.checks.models import CheckFinding, CheckReport, CheckRequest, CheckSummary
from provgraph.service.errors import InvalidInput, NotFound, ProvgraphError
from provgraph.service.records import plain
from provgraph.service.store import Store, Tx

__all__ = [
    "CheckNotFound",
    "check_fingerprint",
    "check_ids_given",
    "get_check",
    "latest_checks",
    "latest_checks_of",
    "record_check",
    "resolve_inputs",
]

CONFLICTS_LOCK = "alerts:conflicts"  # the lock conflict refreshes take (service/alerts)
EVENT_OPENED = "conflict.opened"
_SEVERITIES = ("warning", "error")


class CheckNotFound(NotFound):
    """A check id that is not recorded (404)."""

    title = "Check not found"

    def __init__(self, check_id: str) -> None:
        ProvgraphError.__init__(self, f"no check with id {check_id!r}")
        self.artifact_id = check_id

    def extensions(self) -> dict[str, Any]:
        return {"check_id": self.artifact_id}


def check_ids_given(request: CheckRequest) -> None:
    """Recording needs the dataset's id and every reference's id. Without ``dataset.id`` a
    check only reports (reference ids then just label the references)."""
    refs = request.references
    if request.dataset.id is None:
        return
    if not request.record:
        return
    unnamed = [r.path for r in refs if r.id is None]
    if unnamed:
        raise InvalidInput(
            f"reference {unnamed[0]} has no id: to record the check, give every --against "
            "a --reference-id (in the same order)"
        )


def resolve_inputs(store: Store, request: CheckRequest) -> None:
    """Refuse, before any data is read, ids that are not in the graph or not data: the
    dataset must be a dataset artifact, each reference a dataset or a source."""
    check_ids_given(request)
    if request.dataset.id is None or not request.record:
        return
    refs = request.references
    ids = [request.dataset.id, *(r.id for r in refs if r.id)]
    kinds = {row["id"]: row["kind"] for row in store.query("artifact_kinds", ids=ids)}
    for artifact_id in ids:
        if artifact_id not in kinds:
            raise NotFound(artifact_id)
    if kinds[request.dataset.id] != "dataset":
        raise InvalidInput(
            f"{request.dataset.id!r} is a {kinds[request.dataset.id]}, not a dataset"
        )
    for ref in refs:
        if ref.id and kinds[ref.id] not in ("dataset", "source"):
            raise InvalidInput(f"reference {ref.id!r} is a {kinds[ref.id]}, not data")


def check_fingerprint(finding: CheckFinding, dataset: str) -> str:
    """Stable key of a check finding's alert: the same rule, dataset and reference keep one
    alert across runs."""
    key = ["check", finding.rule, dataset, finding.reference]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()


def _check_props(report: CheckReport) -> dict[str, Any]:
    divergence = max([max(d.length, d.vocabulary) for d in report.divergence], default=0.0)
    return {
        "dataset": report.dataset,
        "dataset_path": report.dataset_path,
        "records": report.records,
        "exact_duplicates": report.exact_duplicates.count,
        "exact_duplicate_rate": report.exact_duplicates.rate,
        "near_duplicates": report.near_duplicates.count,
        "near_duplicate_rate": report.near_duplicates.rate,
        "jaccard": report.near_duplicates.jaccard,
        "ngram_overlap": report.ngram_overlap.count,
        "ngram_overlap_rate": report.ngram_overlap.rate,
        "ngram": report.ngram_overlap.n,
        "format_errors": report.format_errors.count,
        "format_error_rate": report.format_errors.rate,
        "boilerplate": report.boilerplate.count,
        "boilerplate_rate": report.boilerplate.rate,
        "max_divergence": divergence,
        "findings": len(report.findings),
        "finding_rules": sorted({f.rule for f in report.findings}),
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "records_per_second": report.records_per_second,
        "report": report.model_dump_json(),
    }


def _reference_props(report: CheckReport, reference: str) -> dict[str, Any]:
    divergence = next((d for d in report.divergence if d.reference == reference), None)
    return {
        "records": report.reference_records.get(reference, 0),
        "exact_duplicates": report.exact_duplicates.by_reference.get(reference, 0),
        "near_duplicates": report.near_duplicates.by_reference.get(reference, 0),
        "ngram_overlap": report.ngram_overlap.by_reference.get(reference, 0),
        "length_divergence": divergence.length if divergence else None,
        "vocabulary_divergence": divergence.vocabulary if divergence else None,
    }


def _alert_rows(report: CheckReport) -> list[dict[str, Any]]:
    rows = []
    for finding in report.findings:
        origin = {"node": finding.reference, "license": None, "clause": None}
        rows.append(
            {
                "fingerprint": check_fingerprint(finding, report.dataset),
                "node": report.dataset,
                "props": {
                    "rule": finding.rule,
                    "severity": finding.severity,
                    "node": report.dataset,
                    "origin": json.dumps(origin),
                    "path": "[]",
                    "explanation": finding.explanation,
                    "remedy": f"see `provgraph check` report {report.id} (--details lists the "
                    "flagged records)",
                    "citation": json.dumps(
                        {"check": report.id, "rate": finding.rate, "threshold": finding.threshold}
                    ),
                    "policy": None,
                    "check_reference": finding.reference,
                    "check_id": report.id,
                },
            }
        )
    return rows


def _payload(conflict: dict[str, Any]) -> str:
    keys = ("fingerprint", "rule", "severity", "node", "explanation", "remedy", "policy")
    data: dict[str, Any] = {key: conflict.get(key) for key in keys}
    for key in ("origin", "path", "citation"):
        value = conflict.get(key)
        data[key] = json.loads(value) if isinstance(value, str) else value
    for key in ("first_seen", "opened_at"):
        data[key] = plain(conflict.get(key))
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def record_check(store: Store, report: CheckReport, *, now: datetime | None = None) -> CheckReport:
    """Write the run and its alerts in one transaction; returns the report as recorded
    (``recorded`` true, ``alerts_opened`` counted)."""
    references = [{"id": ref, "props": _reference_props(report, ref)} for ref in report.references]
    alerts = _alert_rows(report)

    def work(tx: Tx) -> CheckReport:
        when = now or datetime.now(UTC)
        tx.run("alert_lock", name=CONFLICTS_LOCK, now=when)
        recorded = tx.run("conflict_record", conflicts=alerts, now=when)
        opened = [r["conflict"] for r in recorded if r["opened"]]
        tx.run(
            "check_alert_resolve",
            dataset=report.dataset,
            references=report.references,
            keep=[a["fingerprint"] for a in alerts],
            now=when,
        )
        if opened:
            queue = [
                {
                    "fingerprint": c["fingerprint"],
                    "node": c["node"],
                    "severities": [s for s in _SEVERITIES if _rank(s) <= _rank(c["severity"])],
                    "conflict": _payload(c),
                }
                for c in opened
            ]
            tx.run("webhook_enqueue_deliveries", alerts=queue, event=EVENT_OPENED, now=when)
        final = report.model_copy(update={"recorded": True, "alerts_opened": len(opened)})
        rows = tx.run(
            "check_record",
            id=final.id,
            dataset=final.dataset,
            props=_check_props(final),
            references=references,
        )
        if not rows:
            raise NotFound(final.dataset)  # rolls the alerts back with it
        return final

    final, _ = store.write(work)
    return final


def _rank(severity: str) -> int:
    return _SEVERITIES.index(severity)


def _summary(check: dict[str, Any], role: str, dataset: str, refs: list[str]) -> CheckSummary:
    data = {key: plain(value) for key, value in check.items()}
    return CheckSummary(
        id=data["id"],
        dataset=dataset,
        references=sorted(refs),
        role=role,  # type: ignore[arg-type]
        finished_at=data["finished_at"],
        records=data["records"],
        exact_duplicate_rate=data["exact_duplicate_rate"],
        near_duplicate_rate=data["near_duplicate_rate"],
        ngram_overlap_rate=data["ngram_overlap_rate"],
        format_error_rate=data["format_error_rate"],
        boilerplate_rate=data["boilerplate_rate"],
        max_divergence=data["max_divergence"],
        findings=data["findings"],
    )


def latest_checks(store: Store, artifact_id: str, *, limit: int = 5) -> list[CheckSummary]:
    """The newest checks of an artifact, as the checked dataset or a reference."""
    if not 1 <= limit <= 100:
        raise InvalidInput(f"limit must be in 1..100, not {limit}")
    rows = store.query("check_latest", id=artifact_id, limit=limit)
    return [_summary(r["check"], r["role"], r["dataset"], r["references"]) for r in rows]


def latest_checks_of(store: Store, ids: list[str]) -> dict[str, CheckSummary]:
    """For lineage views: each artifact's latest check as the checked dataset."""
    if not ids:
        return {}
    rows = store.query("check_latest_many", ids=ids)
    return {r["id"]: _summary(r["check"], "checked", r["id"], r["references"]) for r in rows}


def get_check(store: Store, check_id: str) -> CheckReport:
    rows = store.query("check_get", id=check_id)
    if not rows or rows[0]["report"] is None:
        raise CheckNotFound(check_id)
    return CheckReport.model_validate_json(rows[0]["report"])
