"""The HTTP API: a thin FastAPI layer over the domain functions (``/api/v1``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provgraph.service.alerts import Dispatcher
from provgraph.service.api.deps import StoreHolder
from provgraph.service.api.guard import Guard, document_security
from provgraph.service.api.problems import install_problem_handlers
from provgraph.service.api.routes import (
    alerts,
    artifacts,
    audit,
    health,
    ingest,
    licenses,
    lineage,
)
from provgraph.service.api.routes import checks as checks_routes
from provgraph.service.api.routes import openlineage as openlineage_routes
from provgraph.service.api.routes import risk as risk_routes
from provgraph.service.errors import ProvgraphError
from provgraph.service.heap import limit_arenas, return_large_blocks_at_once
from provgraph.service.licensing.kb import load_kb
from provgraph.service.lineage_index import index_for
from provgraph.service.risk import RiskThresholds
from provgraph.service.security import TokenVerifier
from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = ["create_app", "served_app"]

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def _warm_lineage_index(holder: StoreHolder) -> None:
    """Start building the lineage index now, so that the first questions find it ready
    (each worker process of ``serve --workers`` holds its own)."""
    try:
        store = holder.get()
        index_for(store).current(store)  # starts the build in the background if needed
    except ProvgraphError as exc:
        log.info("lineage index not started with the API (Neo4j not ready?): %s", exc)


def served_app() -> FastAPI:
    """The app as ``provgraph serve --workers N`` starts it in each worker process: the
    settings (``PROVGRAPH_AUTH`` set to ``on`` or ``off`` by ``serve``) from the
    environment, secrets redacted from the logs."""
    from provgraph.service.security.redact import install_log_redaction

    settings = Settings.from_env()
    install_log_redaction(settings)
    return create_app(settings)


class WakeDispatcher:
    """After a successful write, wake the alert dispatcher: the write may have queued
    deliveries, to be sent now rather than at the next poll. Plain ASGI: Starlette's
    ``BaseHTTPMiddleware`` costs every request a task group and a stream."""

    def __init__(self, app: ASGIApp, *, dispatcher: Dispatcher) -> None:
        self.app = app
        self.dispatcher = dispatcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "GET":
            await self.app(scope, receive, send)
            return
        status: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] < 400:
            self.dispatcher.wake()


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    dispatch_webhooks: bool | None = None,
    auth: bool | None = None,
) -> FastAPI:
    """Build the app; ``store`` lets tests and embedders pass an existing connection.

    ``auth`` requires bearer tokens (docs/security.md); by default only when
    ``PROVGRAPH_AUTH=on`` (``provgraph serve`` turns it on beyond loopback).

    ``dispatch_webhooks`` (default: when the app owns its connection) runs the thread that
    sends conflict alerts to webhooks and resumes deliveries left pending by a restart.
    """
    settings = settings or Settings.from_env()
    holder = StoreHolder(settings, store)
    require_tokens = settings.auth == "on" if auth is None else auth
    dispatch = store is None if dispatch_webhooks is None else dispatch_webhooks
    dispatcher = Dispatcher(holder.get) if dispatch else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Parse the license KB (~90 YAML files, seconds on a busy machine) before serving,
        # so the first write is not the one that pays for it and times out its client.
        load_kb()
        if store is None:  # an app that owns its connection: a served one
            # Before any thread of ours starts: each would take a malloc arena of its own.
            return_large_blocks_at_once()  # a big answer's memory goes back when freed
            limit_arenas()  # request threads share two arenas of small freed blocks
            threading.Thread(
                target=_warm_lineage_index, args=(holder,), name="provgraph-warm", daemon=True
            ).start()
        if dispatcher is not None:
            dispatcher.start()
        yield
        if dispatcher is not None:
            dispatcher.stop()
        if store is None:  # close only what we opened
            holder.close()

    app = FastAPI(
        title="provgraph",
        version="0.1.0",
        summary="Provenance graph for AI datasets and models",
        description=(
            "Lineage of datasets and models in Neo4j. Errors are RFC 9457 problem documents "
            "(`application/problem+json`)."
        ),
        lifespan=lifespan,
    )
    app.state.stores = holder
    app.state.dispatcher = dispatcher
    app.state.risk_thresholds = RiskThresholds.from_settings(settings or Settings.from_env())

    app.state.auth = require_tokens

    def body_limit(path: str) -> int:
        return ingest.MAX_BODY_BYTES if path == f"{API_PREFIX}/ingest" else settings.max_body_bytes

    # Inside the dispatcher's middleware (a BaseHTTPMiddleware would turn the guard's 413 on
    # a streamed body into a 400), outside everything else: no route runs unauthorised.
    app.state.tokens = TokenVerifier()  # its `ttl` bounds how long a revoked token works
    app.add_middleware(
        Guard,
        store=holder.get,
        auth=require_tokens,
        body_limits=body_limit,
        verifier=app.state.tokens,
    )

    if dispatcher is not None:
        app.add_middleware(WakeDispatcher, dispatcher=dispatcher)

    document_security(app, auth=require_tokens)
    install_problem_handlers(app)
    app.include_router(health.router)
    # Suffix routes first: artifact ids contain '/', so `{id:path}` would swallow them.
    app.include_router(lineage.router, prefix=API_PREFIX)
    app.include_router(licenses.router, prefix=API_PREFIX)
    app.include_router(alerts.router, prefix=API_PREFIX)
    app.include_router(risk_routes.router, prefix=API_PREFIX)
    app.include_router(openlineage_routes.router, prefix=API_PREFIX)
    app.include_router(checks_routes.router, prefix=API_PREFIX)
    app.include_router(audit.router, prefix=API_PREFIX)
    app.include_router(artifacts.router, prefix=API_PREFIX)
    app.include_router(ingest.router, prefix=API_PREFIX)
    return app
