"""Conflict alerts and webhooks.

When a write creates a new license conflict, provgraph records it as an alert and delivers
it to the registered webhooks::

    write (ingest, API)  ──►  refresh_conflicts(store, touched_ids)
                                 │  one write transaction, behind the alerts:conflicts lock:
                                 │  (:Conflict {fingerprint}) upserted / resolved,
                                 │  (:Delivery {status: 'pending'}) queued per new alert and webhook
                                 ▼
    Dispatcher (API thread) or deliver_pending (CLI)  ──►  signed JSON POST, retried, logged

Modules: ``conflicts`` (refresh, full scan, list), ``webhooks`` (register, list, delete,
delivery log), ``delivery`` (sending, retries, the dispatcher thread), ``signing``
(HMAC-SHA256 signatures; ``verify_signature`` is for receivers) and ``models``.
"""

from provgraph.service.alerts.conflicts import (
    DEFAULT_MAX_AFFECTED,
    EVENT_OPENED,
    fingerprint,
    list_alerts,
    refresh_conflicts,
    scan_conflicts,
)
from provgraph.service.alerts.delivery import (
    DEFAULT_RETRY,
    Dispatcher,
    RetryPolicy,
    deliver_pending,
    outcome_of,
)
from provgraph.service.alerts.models import (
    Alert,
    Delivery,
    DeliveryAttempt,
    DeliveryRun,
    RefreshResult,
    ScanResult,
    Webhook,
    WebhookCreate,
)
from provgraph.service.alerts.signing import sign, verify_signature
from provgraph.service.alerts.webhooks import (
    WebhookNotFound,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    register_webhook,
)

__all__ = [
    "DEFAULT_MAX_AFFECTED",
    "DEFAULT_RETRY",
    "EVENT_OPENED",
    "Alert",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryRun",
    "Dispatcher",
    "RefreshResult",
    "RetryPolicy",
    "ScanResult",
    "Webhook",
    "WebhookCreate",
    "WebhookNotFound",
    "delete_webhook",
    "deliver_pending",
    "fingerprint",
    "get_webhook",
    "list_alerts",
    "list_deliveries",
    "list_webhooks",
    "outcome_of",
    "refresh_conflicts",
    "register_webhook",
    "scan_conflicts",
    "sign",
    "verify_signature",
]
