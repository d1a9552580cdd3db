"""App-wide request guard: bearer-token authorisation and request body limits.

One ASGI middleware sees every request before routing, so routes need no edits to be
protected: it asks ``security.required_scope`` which scope the method and path need,
checks the ``Authorization: Bearer`` token (401 when missing or bad, 403 when its scope is
too small, both RFC 9457 documents) and records the token as the actor of any write (the
audit trail). Token values are never logged.

Bodies larger than the limit get 413 before the route runs (``Content-Length``) or as soon
as the stream passes it (chunked uploads).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provgraph.service.api.problems import PROBLEM_JSON, RETRY_AFTER_SECONDS
from provgraph.service.errors import ProvgraphError, StoreUnavailable
from provgraph.service.security import (
    Actor,
    ApiToken,
    TokenVerifier,
    acting_as,
    grants,
    required_scope,
)
from provgraph.service.security import Scope as TokenScope
from provgraph.service.store import Store

__all__ = ["Guard", "document_security"]

log = logging.getLogger(__name__)
RUN_HEADER = "x-provgraph-run"
MAX_RUN_ID = 200


class Guard:
    """The ASGI middleware described in the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: Callable[[], Store],
        auth: bool,
        body_limits: Callable[[str], int],
        verifier: TokenVerifier | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.auth = auth
        self.body_limits = body_limits
        self.verifier = verifier or TokenVerifier()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        method = scope["method"]
        needed = required_scope(method, scope["path"])
        run = headers.get(RUN_HEADER, b"").decode("latin-1").strip() or None
        if run is not None and (len(run) > MAX_RUN_ID or not run.isprintable()):
            await _problem(scope, send, 422, "Invalid input", f"{RUN_HEADER} is not a run id")
            return
        actor = Actor(via="sdk" if run else "api", name="anonymous", run=run)
        if needed is not None and self.auth:
            outcome = await self._authorise(headers.get("authorization", b""), needed)
            if isinstance(outcome, _Refusal):
                await _problem(
                    scope, send, *outcome.args, headers=outcome.headers, **outcome.extensions
                )
                return
            actor = actor.model_copy(update={"name": outcome.name, "token_id": outcome.id})
        limit = self.body_limits(scope["path"])
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _problem(scope, send, 413, "Content Too Large", _too_large(limit))
            return
        with acting_as(actor):
            await self.app(scope, _limited(receive, limit), send)

    async def _authorise(self, header: bytes, needed: TokenScope) -> ApiToken | _Refusal:
        scheme, _, value = header.decode("latin-1").partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="provgraph"'}
        if scheme.lower() != "bearer" or not value.strip():
            return _Refusal(
                401,
                "Unauthorized",
                "this API needs a token: send `Authorization: Bearer <token>` "
                "(create one with `provgraph token create`)",
                headers=challenge,
            )
        try:
            # Off the event loop: connecting (while Neo4j is down) can take seconds.
            token = await run_in_threadpool(lambda: self.verifier(self.store(), value.strip()))
        except StoreUnavailable as exc:
            return _Refusal(
                503,
                StoreUnavailable.title,
                exc.detail,
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        except ProvgraphError as exc:
            return _Refusal(exc.status, exc.title, exc.detail)
        if token is None:
            challenge["WWW-Authenticate"] += ', error="invalid_token"'
            return _Refusal(
                401, "Unauthorized", "the bearer token is unknown or revoked", headers=challenge
            )
        if not grants(token.scopes, needed):
            have = ", ".join(s.value for s in token.scopes)
            return _Refusal(
                403,
                "Forbidden",
                f"token {token.id} ({token.name}) has scope {have}; this needs {needed.value}",
                headers=None,
                required_scope=needed.value,
            )
        return token


class _Refusal:
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        self.args = (status, title, detail)
        self.headers = headers
        self.extensions = extensions


def _too_large(limit: int) -> str:
    return f"request body exceeds {limit:,} bytes; send less per request"


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that refuses a streamed body once it passes ``limit`` bytes."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                # An HTTPException passes FastAPI's body reader untouched: a 413 problem.
                raise HTTPException(413, _too_large(limit))
        return message

    return wrapped


async def _problem(
    scope: Scope,
    send: Send,
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> None:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope["path"],
        **extensions,
    }
    if status == 503:
        body["type"] = f"urn:provgraph:problem:{StoreUnavailable.slug}"
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


_GUARD_RESPONSES = {
    "401": "Missing, unknown or revoked bearer token",
    "403": "The token's scope is too small for this route (`required_scope` says which)",
    "413": "Request body too large",
}


def document_security(app: FastAPI, *, auth: bool) -> None:
    """Describe the guard in the OpenAPI schema: the bearer scheme, each operation's scope
    (``x-required-scope``) and its 401/403/413 problem responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `provgraph token create`",
        }
        problem = {"$ref": "#/components/schemas/Problem"}
        components.setdefault("schemas", {}).setdefault(
            "Problem",
            {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                },
            },
        )
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                needed = required_scope(method.upper(), path)
                if needed is None:
                    continue
                operation["x-required-scope"] = needed.value
                if auth:
                    operation["security"] = [{"bearer": []}]
                for code, description in _GUARD_RESPONSES.items():
                    if code in ("401", "403") and not auth:
                        continue
                    operation.setdefault("responses", {}).setdefault(
                        code,
                        {
                            "description": description,
                            "content": {PROBLEM_JSON: {"schema": problem}},
                        },
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
