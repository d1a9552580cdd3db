"""The HTTP API: a thin FastAPI layer over the domain functions (``/api/v1``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response

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
from provgraph.service.licensing.kb import load_kb
from provgraph.service.risk import RiskThresholds
from provgraph.service.security import TokenVerifier
from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = ["create_app"]

API_PREFIX = "/api/v1"


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

    @app.middleware("http")
    async def wake_dispatcher(request: Request, call_next: Any) -> Response:
        # A successful write may have queued alert deliveries: send them now, not at the
        # next poll.
        response: Response = await call_next(request)
        if dispatcher is not None and request.method != "GET" and response.status_code < 400:
            dispatcher.wake()
        return response

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
