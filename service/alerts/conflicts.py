"""Conflicts as alerts: re-evaluate the license rules where a write may have changed them,
record each finding as a `:Conflict` keyed by a stable fingerprint, and queue webhook
deliveries for the new ones.

After a write, ``refresh_conflicts`` takes the touched artifacts plus everything downstream
of them (one pruning-BFS query, distinct nodes), loads the union of their ancestries once,
propagates once and evaluates the rules at each affected artifact. It runs in one write
transaction behind the ``alerts:conflicts`` lock, so concurrent refreshes are serialised,
each sees the graph as committed, and an alert is never recorded without its deliveries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from provgraph.service.alerts.affected import (
    DEFAULT_MAX_AFFECTED,
    affected_artifacts,
    artifact_id_pages,
    too_many_detail,
)
from provgraph.service.alerts.models import Alert, RefreshResult, ScanResult
from provgraph.service.errors import InvalidInput
from provgraph.service.licensing.ancestry import GraphBuilder
from provgraph.service.licensing.kb import KnowledgeBase, load_kb
from provgraph.service.licensing.propagation import Policy, propagate
from provgraph.service.licensing.report import ANCESTRY_LIMIT, model_families
from provgraph.service.licensing.rules import Finding, evaluate, severity_rank
from provgraph.service.records import plain
from provgraph.service.store import Store, Tx

__all__ = [
    "DEFAULT_MAX_AFFECTED",
    "EVENT_OPENED",
    "alert_from_row",
    "fingerprint",
    "list_alerts",
    "refresh_conflicts",
    "scan_conflicts",
]

MAX_LIST_LIMIT = 1000
EVENT_OPENED = "conflict.opened"
CONFLICTS_LOCK = "alerts:conflicts"
_SEVERITIES = ("warning", "error")


def fingerprint(finding: Finding, policy: Policy) -> str:
    """Stable key of a finding: sha256 of the JSON array [rule, node, origin node, origin
    license, origin clause, policy] (JSON, so no id can make two keys collide)."""
    origin = finding.origin
    key = [
        finding.rule,
        finding.node,
        origin.get("node"),
        origin.get("license"),
        origin.get("clause"),
        policy.value,
    ]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()


def _now(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def alert_from_row(props: dict[str, Any]) -> Alert:
    """A `:Conflict` node's properties as an Alert (JSON-string properties decoded)."""
    data = {key: plain(value) for key, value in props.items()}
    for key in ("origin", "path", "citation"):
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    data.setdefault("opened_at", data.get("first_seen"))
    return Alert.model_validate(data)


def _payload(alert: Alert) -> str:
    """The ``conflict`` object of a `conflict.opened` event, frozen when the alert opens."""
    data = alert.model_dump(
        mode="json",
        include={
            "fingerprint",
            "rule",
            "severity",
            "node",
            "origin",
            "path",
            "explanation",
            "remedy",
            "citation",
            "policy",
            "first_seen",
            "opened_at",
        },
    )
    return _json(data)


def _conflict_rows(findings: list[Finding], policy: Policy) -> list[dict[str, Any]]:
    """One row per fingerprint (rules sort errors first, so a duplicate keeps the worst)."""
    rows: dict[str, dict[str, Any]] = {}
    for finding in findings:
        key = fingerprint(finding, policy)
        if key in rows:
            continue
        data = finding.as_dict()
        rows[key] = {
            "fingerprint": key,
            "node": finding.node,
            "props": {
                "rule": finding.rule,
                "severity": finding.severity,
                "node": finding.node,
                "origin": _json(data["origin"]),
                "path": _json(data["path"]),
                "explanation": finding.explanation,
                "remedy": finding.remedy,
                "citation": _json(finding.citation) if finding.citation is not None else None,
                "policy": policy.value,
            },
        }
    return list(rows.values())


def _evaluate(
    tx: Tx, ids: list[str], *, policy: Policy, kb: KnowledgeBase, now: datetime
) -> list[Finding] | None:
    """Findings at each of ``ids`` from one ancestry load and one propagation; None when the
    union ancestry is larger than the cap (a partial graph would resolve real conflicts)."""
    builder = GraphBuilder(ids[0])
    for row in tx.stream("license_ancestry_many", ids=ids, as_of=now, limit=ANCESTRY_LIMIT):
        builder.add(row)
        if builder.total > ANCESTRY_LIMIT:
            return None
    graph = builder.graph()
    if not graph.nodes:
        return []
    known = [node_id for node_id in ids if node_id in graph.nodes]
    effective = propagate(graph, kb, policy, at=known)
    families = model_families(graph, known)
    findings: list[Finding] = []
    for node_id in known:
        here, facts = effective[node_id], graph.nodes[node_id]
        findings += evaluate(facts, here, policy, families[node_id])
    return findings


def _record(
    tx: Tx, ids: list[str], findings: list[Finding], *, policy: Policy, now: datetime
) -> tuple[list[Alert], list[Alert], int]:
    """Upsert the conflicts, resolve the vanished ones, queue deliveries for the opened ones."""
    conflicts = _conflict_rows(findings, policy)
    rows = tx.run("conflict_record", conflicts=conflicts, now=now)
    opened = [alert_from_row(r["conflict"]) for r in rows if r["opened"]]
    gone = tx.run(
        "conflict_resolve",
        nodes=ids,
        keep=[c["fingerprint"] for c in conflicts],
        policy=policy.value,
        now=now,
    )
    resolved = [alert_from_row(r["conflict"]) for r in gone]
    queued: list[dict[str, Any]] = []
    if opened:
        alerts = [
            {
                "fingerprint": a.fingerprint,
                "node": a.node,
                "severities": [
                    s for s in _SEVERITIES if severity_rank(s) <= severity_rank(a.severity)
                ],
                "conflict": _payload(a),
            }
            for a in opened
        ]
        queued = tx.run("webhook_enqueue_deliveries", alerts=alerts, event=EVENT_OPENED, now=now)
    return sorted(opened, key=_order), sorted(resolved, key=_order), len(queued)


def _order(alert: Alert) -> tuple[str, int, str, str]:
    return (alert.node, -severity_rank(alert.severity), alert.rule, alert.fingerprint)


def refresh_conflicts(
    store: Store,
    touched_ids: Iterable[str],
    *,
    policy: Policy = Policy.STRICT,
    max_affected: int = DEFAULT_MAX_AFFECTED,
    kb: KnowledgeBase | None = None,
    now: datetime | None = None,
) -> RefreshResult:
    """Re-evaluate the conflicts of the touched artifacts and of everything downstream.

    New findings become open alerts (and queued deliveries); open conflicts of the evaluated
    artifacts that are no longer found become resolved. With more than ``max_affected``
    affected artifacts nothing is evaluated, and the result says so (run a full scan).
    """
    touched = sorted(set(touched_ids))
    knowledge = kb or load_kb()

    def answer(**fields: Any) -> RefreshResult:
        return RefreshResult(policy=policy, touched=len(touched), **fields)

    def work(tx: Tx) -> RefreshResult:
        tx.run("alert_lock", name=CONFLICTS_LOCK, now=_now(now))
        # The clock is read once the lock is held: a refresh that waited behind a newer one
        # must not evaluate the graph as of an earlier instant than that one did.
        when = _now(now)
        affected = affected_artifacts(tx, touched, as_of=when, max_affected=max_affected)
        total, ids = affected.count, affected.ids
        if affected.capped:
            return answer(
                evaluated=False,
                reason="max_affected",
                detail=too_many_detail(
                    "conflicts", max_affected, "run a full scan (`provgraph alerts --scan`)"
                ),
                affected=total,
            )
        if not ids:
            return answer(evaluated=True, affected=0)
        findings = _evaluate(tx, ids, policy=policy, kb=knowledge, now=when)
        if findings is None:
            return answer(
                evaluated=False,
                reason="ancestry_limit",
                detail=f"the ancestry of the {total} affected artifacts has more than "
                f"{ANCESTRY_LIMIT:,} nodes: conflicts were not re-evaluated",
                affected=total,
            )
        opened, resolved, queued = _record(tx, ids, findings, policy=policy, now=when)
        return answer(
            evaluated=True,
            affected=total,
            findings=len({fingerprint(f, policy) for f in findings}),
            opened=opened,
            resolved=resolved,
            deliveries_queued=queued,
        )

    result, _ = store.write(work)
    return result


def scan_conflicts(
    store: Store,
    *,
    policy: Policy = Policy.STRICT,
    prefix: str = "",
    page_size: int = 200,
    kb: KnowledgeBase | None = None,
) -> ScanResult:
    """Evaluate every artifact (or those whose id starts with ``prefix``), ``page_size`` at
    a time: each page is one refresh transaction, without descendants (every artifact is on
    some page). A page whose ancestry exceeds the cap is listed in ``skipped``."""
    knowledge = kb or load_kb()
    artifacts, pages = 0, 0
    skipped: list[str] = []
    totals = {"findings": 0, "opened": 0, "resolved": 0, "queued": 0}
    for ids in artifact_id_pages(store, prefix, page_size):
        artifacts, pages = artifacts + len(ids), pages + 1

        def work(tx: Tx, ids: list[str] = ids) -> dict[str, int] | None:
            tx.run("alert_lock", name=CONFLICTS_LOCK, now=datetime.now(UTC))
            when = datetime.now(UTC)
            findings = _evaluate(tx, ids, policy=policy, kb=knowledge, now=when)
            if findings is None:
                return None
            opened, resolved, queued = _record(tx, ids, findings, policy=policy, now=when)
            return {
                "findings": len({fingerprint(f, policy) for f in findings}),
                "opened": len(opened),
                "resolved": len(resolved),
                "queued": queued,
            }

        counts, _ = store.write(work)  # counted after commit: a retried attempt counts once
        if counts is None:
            skipped += ids
            continue
        for key, value in counts.items():
            totals[key] += value
    return ScanResult(
        policy=policy,
        artifacts=artifacts,
        pages=pages,
        skipped=skipped,
        findings=totals["findings"],
        opened=totals["opened"],
        resolved=totals["resolved"],
        deliveries_queued=totals["queued"],
    )


def list_alerts(
    store: Store,
    *,
    status: str | None = None,
    severity: str | None = None,
    artifact: str | None = None,
    limit: int = 100,
) -> list[Alert]:
    """Recorded conflicts, newest opened first. ``status`` and ``artifact`` match exactly;
    ``severity`` is a minimum, as in `provgraph conflicts` (``warning`` shows both)."""
    if status not in (None, "open", "resolved"):
        raise InvalidInput(f"status must be open or resolved, not {status!r}")
    if severity not in (None, *_SEVERITIES):
        raise InvalidInput(f"severity must be error or warning, not {severity!r}")
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidInput(f"limit must be in 1..{MAX_LIST_LIMIT}, not {limit}")
    severities = (
        None
        if severity is None
        else [s for s in _SEVERITIES if severity_rank(s) >= severity_rank(severity)]
    )
    rows = store.query(
        "conflict_list", status=status, severities=severities, artifact=artifact, limit=limit
    )
    return [alert_from_row(r["conflict"]) for r in rows]
