"""Which scope each API request needs: one rule for the whole app, by method and route.

Routes added later get a scope without edits here: reads (GET, HEAD, OPTIONS) need
``read``, every other method ``write``; webhook and token management need ``admin`` (a
webhook receives data and its secret signs it). A few POST routes only compute an answer
and are listed as reads. Probes and the API's own documentation are public.
"""

from __future__ import annotations

from provgraph.service.security.tokens import Scope

__all__ = ["PUBLIC_PATHS", "required_scope"]

API_PREFIX = "/api/v1"
PUBLIC_PATHS = frozenset(
    {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
ADMIN_PREFIXES = (f"{API_PREFIX}/webhooks", f"{API_PREFIX}/tokens")
READ_ONLY_POSTS = frozenset({f"{API_PREFIX}/use-check"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def required_scope(method: str, route_path: str | None) -> Scope | None:
    """The scope a request needs (None: public). ``route_path`` is the matched route's
    template (e.g. ``/api/v1/artifacts/{artifact_id:path}``), or None when no route matched
    (unknown paths need a valid token too, so they reveal nothing to strangers)."""
    if route_path in PUBLIC_PATHS:
        return None
    if route_path is None:
        return Scope.READ
    if route_path.startswith(ADMIN_PREFIXES):
        return Scope.ADMIN
    if method.upper() in READ_METHODS or route_path in READ_ONLY_POSTS:
        return Scope.READ
    return Scope.WRITE
