"""Webhooks: receivers of `conflict.opened` events, stored as `:Webhook` nodes.

The secret (the HMAC key that signs every delivery) is written once and never returned:
the queries project webhooks without it, and the models have no field for it.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from provgraph.service.alerts.models import (
    DEFAULT_EVENTS,
    Delivery,
    DeliveryStatus,
    Severity,
    Webhook,
    WebhookEvent,
)
from provgraph.service.errors import InvalidInput, NotFound, ProvgraphError
from provgraph.service.records import plain
from provgraph.service.store import Store, Tx

__all__ = [
    "MIN_SECRET_LENGTH",
    "WebhookNotFound",
    "delete_webhook",
    "get_webhook",
    "list_deliveries",
    "list_webhooks",
    "register_webhook",
]

MIN_SECRET_LENGTH = 16
MAX_URL_LENGTH = 2048
MAX_LIST_LIMIT = 1000


class WebhookNotFound(NotFound):
    """A webhook id that is not registered (404)."""

    title = "Webhook not found"

    def __init__(self, webhook_id: str) -> None:
        ProvgraphError.__init__(self, f"no webhook with id {webhook_id!r}")
        self.artifact_id = webhook_id
        self.webhook_id = webhook_id

    def extensions(self) -> dict[str, Any]:
        return {"webhook_id": self.webhook_id}


def _check_url(url: str) -> str:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"webhook URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a bad port
    except ValueError as exc:
        raise InvalidInput(f"invalid webhook URL {url!r}: {exc}") from exc
    if parts.scheme not in {"http", "https"}:
        raise InvalidInput(f"webhook URL must be http:// or https://, not {url!r}")
    if not parts.hostname:
        raise InvalidInput(f"webhook URL has no host: {url!r}")
    if parts.username is not None or parts.password is not None:
        # The URL is shown by `webhooks list`: credentials belong in the secret, not here.
        raise InvalidInput("webhook URL must not contain credentials (user:password@)")
    if any(c.isspace() for c in url) or port == 0:
        raise InvalidInput(f"invalid webhook URL {url!r}")
    return url


def register_webhook(
    store: Store,
    url: str,
    secret: str,
    *,
    min_severity: Severity = "warning",
    events: list[WebhookEvent] | None = None,
) -> Webhook:
    """Register ``url`` to receive new alerts of ``min_severity`` or worse, signed with
    ``secret`` (at least 16 characters; e.g. ``openssl rand -hex 32``); ``events`` picks
    conflict alerts (the default), synthetic-data risk alerts, or both."""
    chosen = sorted(set(events or DEFAULT_EVENTS))
    if not chosen or any(e not in ("conflict.opened", "risk.opened") for e in chosen):
        raise InvalidInput(f"events must be conflict.opened and/or risk.opened, not {chosen}")
    _check_url(url)
    if len(secret) < MIN_SECRET_LENGTH:
        raise InvalidInput(f"webhook secret must have at least {MIN_SECRET_LENGTH} characters")
    if min_severity not in ("warning", "error"):
        raise InvalidInput(f"min_severity must be warning or error, not {min_severity!r}")
    webhook_id = "wh_" + secrets.token_hex(8)
    rows, _ = store.write(
        lambda tx: tx.run(
            "webhook_create",
            id=webhook_id,
            url=url,
            secret=secret,
            min_severity=min_severity,
            events=chosen,
            now=datetime.now(UTC),
        )
    )
    return _webhook(rows[0]["webhook"])


def _webhook(props: dict[str, Any]) -> Webhook:
    return Webhook.model_validate({k: plain(v) for k, v in props.items()})


def list_webhooks(store: Store) -> list[Webhook]:
    """Every registered webhook, oldest first (no secrets)."""
    return [_webhook(r["webhook"]) for r in store.query("webhook_list", id=None)]


def get_webhook(store: Store, webhook_id: str) -> Webhook:
    rows = store.query("webhook_list", id=webhook_id)
    if not rows:
        raise WebhookNotFound(webhook_id)
    return _webhook(rows[0]["webhook"])


def delete_webhook(store: Store, webhook_id: str) -> int:
    """Remove a webhook and its delivery log; returns how many deliveries went with it."""
    rows, _ = store.write(lambda tx: tx.run("webhook_delete", id=webhook_id))
    if not rows:
        raise WebhookNotFound(webhook_id)
    return int(rows[0]["deliveries"])


def delivery_from_row(props: dict[str, Any]) -> Delivery:
    data = {k: plain(v) for k, v in props.items() if k not in {"conflict", "claimed_until"}}
    data["log"] = [json.loads(entry) for entry in data.get("log") or []]
    return Delivery.model_validate(data)


def list_deliveries(
    store: Store,
    webhook_id: str | None = None,
    *,
    status: DeliveryStatus | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """The delivery log, newest first; for one webhook (NotFound if unknown) or all."""
    if status not in (None, "pending", "delivered", "failed"):
        raise InvalidInput(f"status must be pending, delivered or failed, not {status!r}")
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidInput(f"limit must be in 1..{MAX_LIST_LIMIT}, not {limit}")

    def work(tx: Tx) -> list[dict[str, Any]] | None:
        if webhook_id is not None and not tx.run("webhook_list", id=webhook_id):
            return None
        rows: list[dict[str, Any]] = tx.run(
            "webhook_deliveries", webhook_id=webhook_id, status=status, limit=limit
        )
        return rows

    found = store.read(work)
    if found is None:
        raise WebhookNotFound(webhook_id or "")
    return [delivery_from_row(r["delivery"]) for r in found]
