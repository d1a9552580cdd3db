"""Recorded conflict alerts and the webhooks they are delivered to."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from provgraph.service import alerts
from provgraph.service.api.deps import StoreDep
from provgraph.service.api.routes.common import problems

__all__ = ["router"]

router = APIRouter(tags=["alerts"])


@router.get("/alerts", summary="Conflicts recorded when writes created them, newest first")
def get_alerts(
    store: StoreDep,
    status_: Annotated[
        Literal["open", "resolved"] | None, Query(alias="status", description="open or resolved")
    ] = "open",
    severity: Annotated[Literal["error", "warning"] | None, Query(description="minimum")] = None,
    artifact: Annotated[str | None, Query(description="only this artifact")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[alerts.Alert]:
    return alerts.list_alerts(
        store, status=status_, severity=severity, artifact=artifact, limit=limit
    )


@router.get("/conflicts", summary="Open conflicts across the graph (the open alerts)")
def get_open_conflicts(
    store: StoreDep,
    severity: Annotated[Literal["error", "warning"] | None, Query(description="minimum")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[alerts.Alert]:
    return alerts.list_alerts(store, status="open", severity=severity, limit=limit)


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook for new conflict alerts (HMAC-SHA256 signed JSON POSTs)",
    responses=problems(422),
)
def post_webhook(body: alerts.WebhookCreate, store: StoreDep) -> alerts.Webhook:
    return alerts.register_webhook(
        store,
        body.url,
        body.secret.get_secret_value(),
        min_severity=body.min_severity,
        events=body.events,
    )


@router.get("/webhooks", summary="Registered webhooks (never with their secrets)")
def get_webhooks(store: StoreDep) -> list[alerts.Webhook]:
    return alerts.list_webhooks(store)


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a webhook and its delivery log",
    responses=problems(404),
)
def delete_webhook(webhook_id: str, store: StoreDep) -> Response:
    alerts.delete_webhook(store, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="The delivery log of one webhook: every attempt and its outcome",
    responses=problems(404),
)
def get_deliveries(
    webhook_id: str,
    store: StoreDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[alerts.Delivery]:
    alerts.get_webhook(store, webhook_id)  # 404 for an unknown webhook
    return alerts.list_deliveries(store, webhook_id, limit=limit)
