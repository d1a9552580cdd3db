"""Synthetic-data risk findings as alerts, raised by writes the way license conflicts are.

After a write, ``refresh_risk_alerts`` takes the touched artifacts and everything downstream
(the same pruning-BFS query as conflict alerts), computes each one's risk report with the
configured thresholds, records each finding as a `:RiskAlert` keyed by a stable fingerprint
(sha256 of the JSON array [rule, artifact, origin]), resolves the open alerts no longer found,
and queues a ``risk.opened`` delivery for every webhook registered for that event. One write
transaction behind the ``alerts:risk`` lock: an alert is never recorded without its
deliveries. Risk alerts are kept apart from license conflicts (`provgraph alerts`) so each
keeps its own meaning; `provgraph risk-alerts` lists them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from provgraph.service.alerts.affected import (
    DEFAULT_MAX_AFFECTED,
    affected_artifacts,
    artifact_id_pages,
    too_many_detail,
)
from provgraph.service.errors import InvalidInput
from provgraph.service.records import plain
from provgraph.service.risk import RiskFinding, RiskThresholds, Severity, risk_reports_tx
from provgraph.service.settings import Settings
from provgraph.service.store import Store, Tx

__all__ = [
    "EVENT_RISK_OPENED",
    "RiskAlert",
    "RiskRefresh",
    "RiskScan",
    "list_risk_alerts",
    "refresh_risk_alerts",
    "risk_fingerprint",
    "scan_risk_alerts",
]

EVENT_RISK_OPENED = "risk.opened"
RISK_LOCK = "alerts:risk"
_SEVERITIES = ("warning", "error")
_RANK = {"warning": 1, "error": 2}


class RiskAlert(BaseModel):
    fingerprint: str
    rule: str
    severity: Severity
    node: str = Field(description="the artifact assessed")
    origin: str | None = None
    explanation: str
    remedy: str
    status: Literal["open", "resolved"]
    first_seen: datetime
    opened_at: datetime
    last_seen: datetime
    resolved_at: datetime | None = None


class RiskRefresh(BaseModel):
    evaluated: bool
    reason: Literal["max_affected"] | None = None
    detail: str | None = Field(default=None, description="why nothing was evaluated")
    affected: int = Field(
        description="the touched artifacts and their descendants (max_affected + 1 when more)"
    )
    findings: int = 0
    opened: list[RiskAlert] = Field(default_factory=list)
    resolved: list[RiskAlert] = Field(default_factory=list)
    deliveries_queued: int = 0


class RiskScan(BaseModel):
    """A full re-assessment: every artifact (or every id with a prefix), page by page."""

    artifacts: int
    pages: int
    findings: int
    opened: int
    resolved: int
    deliveries_queued: int


def risk_fingerprint(finding: RiskFinding) -> str:
    key = [finding.rule, finding.node, finding.origin]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()


def _alert(props: dict[str, Any]) -> RiskAlert:
    return RiskAlert.model_validate({k: plain(v) for k, v in props.items()})


def refresh_risk_alerts(
    store: Store,
    touched_ids: Iterable[str],
    *,
    thresholds: RiskThresholds | None = None,
    max_affected: int = DEFAULT_MAX_AFFECTED,
    now: datetime | None = None,
) -> RiskRefresh:
    """Re-assess the touched artifacts and their descendants; open and resolve alerts.

    With more than ``max_affected`` of them nothing is assessed and the result says so
    (`provgraph risk-alerts --scan` catches up)."""
    touched = sorted(set(touched_ids))
    limits = thresholds or RiskThresholds.from_settings(Settings.from_env())

    def work(tx: Tx) -> RiskRefresh:
        tx.run("alert_lock", name=RISK_LOCK, now=now or datetime.now(UTC))
        when = now or datetime.now(UTC)
        affected = affected_artifacts(tx, touched, as_of=when, max_affected=max_affected)
        if affected.capped:
            return RiskRefresh(
                evaluated=False,
                reason="max_affected",
                detail=too_many_detail(
                    "risk findings", max_affected, "run `provgraph risk-alerts --scan`"
                ),
                affected=affected.count,
            )
        recorded = _assess(tx, affected.ids, limits, when)
        return RiskRefresh(evaluated=True, affected=affected.count, **recorded)

    result, _ = store.write(work)
    return result


def scan_risk_alerts(
    store: Store,
    *,
    prefix: str = "",
    page_size: int = 200,
    thresholds: RiskThresholds | None = None,
) -> RiskScan:
    """Assess every artifact (or those whose id starts with ``prefix``), ``page_size`` at a
    time, each page in one transaction without descendants (every artifact is on a page)."""
    limits = thresholds or RiskThresholds.from_settings(Settings.from_env())
    artifacts, pages = 0, 0
    totals = {"findings": 0, "opened": 0, "resolved": 0, "deliveries_queued": 0}
    for ids in artifact_id_pages(store, prefix, page_size):
        artifacts, pages = artifacts + len(ids), pages + 1

        def work(tx: Tx, ids: list[str] = ids) -> dict[str, Any]:
            tx.run("alert_lock", name=RISK_LOCK, now=datetime.now(UTC))
            return _assess(tx, ids, limits, datetime.now(UTC))

        recorded, _ = store.write(work)  # counted after commit: a retried attempt counts once
        totals["findings"] += recorded["findings"]
        totals["opened"] += len(recorded["opened"])
        totals["resolved"] += len(recorded["resolved"])
        totals["deliveries_queued"] += recorded["deliveries_queued"]
    return RiskScan(artifacts=artifacts, pages=pages, **totals)


def _assess(tx: Tx, ids: list[str], limits: RiskThresholds, when: datetime) -> dict[str, Any]:
    """Risk reports of ``ids``: record each finding, resolve the open alerts of ``ids`` that
    are no longer found, queue deliveries for the new ones. The RiskRefresh counts."""
    reports = risk_reports_tx(tx, ids, thresholds=limits, as_of=when) if ids else {}
    findings: list[RiskFinding] = [f for r in reports.values() for f in r.findings]
    rows = {
        risk_fingerprint(f): {
            "fingerprint": risk_fingerprint(f),
            "node": f.node,
            "props": f.model_dump(),
        }
        for f in findings
    }
    recorded = tx.run("risk_alert_record", alerts=list(rows.values()), now=when) if rows else []
    opened = [_alert(r["alert"]) for r in recorded if r["opened"]]
    gone = tx.run("risk_alert_resolve", nodes=ids, keep=list(rows), now=when) if ids else []
    queued: list[dict[str, Any]] = []
    if opened:
        payloads = [
            {
                "fingerprint": a.fingerprint,
                "node": a.node,
                "severities": [s for s in _SEVERITIES if _RANK[s] <= _RANK[a.severity]],
                "payload": a.model_dump_json(exclude={"status", "last_seen", "resolved_at"}),
            }
            for a in opened
        ]
        queued = tx.run("risk_enqueue_deliveries", alerts=payloads, now=when)
    return {
        "findings": len(rows),
        "opened": sorted(opened, key=lambda a: (a.node, a.rule, a.fingerprint)),
        "resolved": [_alert(r["alert"]) for r in gone],
        "deliveries_queued": len(queued),
    }


def list_risk_alerts(
    store: Store, *, status: str | None = None, artifact: str | None = None, limit: int = 100
) -> list[RiskAlert]:
    if status not in (None, "open", "resolved"):
        raise InvalidInput(f"status must be open or resolved, not {status!r}")
    if not 1 <= limit <= 1000:
        raise InvalidInput(f"limit must be in 1..1000, not {limit}")
    rows = store.query("risk_alert_list", status=status, artifact=artifact, limit=limit)
    return [_alert(r["alert"]) for r in rows]
