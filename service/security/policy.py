"""Which scope each API request needs: one rule for the whole app, by method and path.

The rule looks at the request's method and path only, never at which route will answer,
so routes added later (and unknown paths) get a scope without edits here: reads (GET,
HEAD, OPTIONS) need ``read``, every other method ``write``; webhook and token management
need ``admin`` (a webhook receives data and its secret signs it). A few POST routes only
compute an answer and are listed as reads. Probes and the API's own documentation are public.
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


def required_scope(method: str, path: str) -> Scope | None:
    """The scope a request for ``path`` (a request path, or an OpenAPI path template) needs;
    None when public. Unknown paths need a token too, so they reveal nothing to strangers."""
    if path in PUBLIC_PATHS:
        return None
    if any(path == prefix or path.startswith(prefix + "/") for prefix in ADMIN_PREFIXES):
        return Scope.ADMIN
    if method.upper() in READ_METHODS or path in READ_ONLY_POSTS:
        return Scope.READ
    return Scope.WRITE


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def auth_required(mode: str, *, host: str, flag: bool | None = None) -> bool:
    """Whether ``serve`` on ``host`` requires tokens: an explicit flag wins, then
    ``PROVGRAPH_AUTH`` (``on``, ``off``, or ``auto``: on unless listening on loopback)."""
    if flag is not None:
        return flag
    if mode in ("on", "true", "1", "yes"):
        return True
    if mode in ("off", "false", "0", "no"):
        return False
    return not is_loopback(host)
