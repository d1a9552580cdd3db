"""RFC 9457 problem documents for every error the API returns.

``type`` is ``urn:provgraph:problem:<slug>`` for provgraph's own errors and ``about:blank``
for plain HTTP ones (unknown route, wrong method); ``status``, ``title`` and ``detail`` are
always present, plus extension members such as ``errors`` (validation) or ``cycle``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from provgraph.service.errors import ProvgraphError, StoreUnavailable

__all__ = ["PROBLEM_JSON", "install_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "5"
log = logging.getLogger(__name__)


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return _ProblemJSON(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class _ProblemJSON(JSONResponse):
    """A problem may echo input that is not valid Unicode (a lone surrogate from a JSON
    escape): then it is sent ASCII-escaped, still valid JSON, rather than failing."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode()


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProvgraphError)
    async def provgraph_error(request: Request, exc: ProvgraphError) -> JSONResponse:
        headers = (
            {"Retry-After": RETRY_AFTER_SECONDS} if isinstance(exc, StoreUnavailable) else None
        )
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            type_=f"urn:provgraph:problem:{exc.slug}",
            instance=request.url.path,
            headers=headers,
            **exc.extensions(),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"location": "request", "message": "invalid"}
        return problem_response(
            422,
            "Invalid input",
            f"{first['location']}: {first['message']}",
            type_="urn:provgraph:problem:invalid-input",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        from http import HTTPStatus

        title = HTTPStatus(exc.status_code).phrase
        return problem_response(
            exc.status_code,
            title,
            str(exc.detail),
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            500,
            "Internal Server Error",
            "an unexpected error occurred; the server log has the details",
            instance=request.url.path,
        )
