"""Output models of the alerts subsystem: the stable JSON of the CLI (``--json``) and the API.

A webhook's secret is deliberately absent from every model: it is written once and read back
only by the sender, to sign (``has_secret`` says that one is set).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from provgraph.service.licensing.propagation import Policy
from provgraph.service.licensing.rules import Severity

__all__ = [
    "Alert",
    "AlertStatus",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryRun",
    "DeliveryStatus",
    "NotEvaluatedReason",
    "RefreshResult",
    "ScanResult",
    "Severity",
    "Webhook",
    "WebhookCreate",
]

AlertStatus = Literal["open", "resolved"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
# What a webhook receives: new license conflicts, new synthetic-data risk findings, or both.
WebhookEvent = Literal["conflict.opened", "risk.opened"]
DEFAULT_EVENTS: list[WebhookEvent] = ["conflict.opened"]
NotEvaluatedReason = Literal["max_affected", "ancestry_limit"]


class Alert(BaseModel):
    """A recorded conflict (a `:Conflict` node): one finding of one rule at one artifact."""

    fingerprint: str = Field(description="sha256 of rule, node, origin node/license/clause, policy")
    rule: str
    severity: Severity
    node: str = Field(description="the artifact in conflict")
    origin: dict[str, str | None] = Field(description="{node, license, clause} the term comes from")
    path: list[dict[str, str]] = Field(description="witness path, from the artifact up")
    explanation: str
    remedy: str
    citation: dict[str, Any] | None = None
    policy: Policy | None = Field(
        default=None, description="the license policy; none for a dataset check's finding"
    )
    status: AlertStatus
    first_seen: datetime = Field(description="when the conflict was first found")
    opened_at: datetime = Field(description="when the current (or last) open period began")
    last_seen: datetime = Field(description="the last evaluation that found it")
    resolved_at: datetime | None = None


class RefreshResult(BaseModel):
    """What one re-evaluation after a write did."""

    evaluated: bool
    reason: NotEvaluatedReason | None = Field(
        default=None, description="why nothing was evaluated (then run a full scan)"
    )
    detail: str | None = None
    policy: Policy
    touched: int = Field(description="distinct artifact ids the write touched")
    affected: int = Field(description="the touched artifacts and their descendants")
    findings: int = Field(default=0, description="conflicts found now at the affected artifacts")
    opened: list[Alert] = Field(default_factory=list, description="new (or reopened) alerts")
    resolved: list[Alert] = Field(default_factory=list)
    deliveries_queued: int = 0


class ScanResult(BaseModel):
    """A full scan: every artifact evaluated, page by page."""

    policy: Policy
    artifacts: int
    pages: int
    skipped: list[str] = Field(
        default_factory=list, description="artifact ids of pages that could not be evaluated"
    )
    findings: int
    opened: int
    resolved: int
    deliveries_queued: int


class WebhookCreate(BaseModel):
    """The body of `POST /api/v1/webhooks`. The secret is a ``SecretStr`` without length
    constraints, so no validation error can echo it; `register_webhook` checks its length."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="http:// or https:// URL that receives the POSTs")
    secret: SecretStr = Field(description="HMAC-SHA256 key, at least 16 characters; never shown")
    min_severity: Severity = Field(default="warning", description="send alerts of this or worse")
    events: list[WebhookEvent] = Field(
        default_factory=lambda: list(DEFAULT_EVENTS), min_length=1, description="events to send"
    )


class Webhook(BaseModel):
    """A registered receiver of `conflict.opened` events (never with its secret)."""

    id: str
    url: str
    min_severity: Severity
    events: list[WebhookEvent] = Field(default_factory=lambda: list(DEFAULT_EVENTS))
    created_at: datetime
    has_secret: bool


class DeliveryAttempt(BaseModel):
    """One POST of a delivery."""

    at: datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
    outcome: Literal["delivered", "retry", "failed"]


class Delivery(BaseModel):
    """One event for one webhook, and the log of its attempts."""

    id: str
    webhook_id: str
    event: str
    fingerprint: str
    node: str
    rule: str
    severity: Severity
    status: DeliveryStatus
    attempts: int
    last_status: int | None = None
    last_error: str | None = None
    created_at: datetime
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    log: list[DeliveryAttempt] = Field(default_factory=list)


class DeliveryRun(BaseModel):
    """What one call of `deliver_pending` did."""

    attempts: int = 0
    delivered: int = 0
    failed: int = 0
    retrying: int = Field(default=0, description="attempts that failed and were rescheduled")
    pending: int = Field(default=0, description="deliveries still pending at the end")
    next_due: datetime | None = None
