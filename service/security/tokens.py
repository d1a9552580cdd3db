"""API tokens: created and revoked by an operator, verified on every API request.

A token reads ``pgt_<id>_<secret>``. The id is public (it names the token in lists, audit
records and logs); the secret is 256 random bits from ``secrets`` and is shown once, at
creation. Only ``HMAC-SHA256(salt, secret)`` with a per-token random salt is stored: with a
secret this long a slow KDF adds nothing, and verification stays cheap per request.
Comparison is constant-time. Scopes are ordered: ``admin`` includes ``write``, which
includes ``read``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from provgraph.service.errors import InvalidInput, ProvgraphError
from provgraph.service.records import plain
from provgraph.service.store import Store

__all__ = [
    "ApiToken",
    "CreatedToken",
    "Scope",
    "TokenNotFound",
    "TokenVerifier",
    "create_token",
    "grants",
    "list_tokens",
    "revoke_token",
    "verify_token",
]

PREFIX = "pgt_"
_TOKEN = re.compile(r"pgt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
MAX_NAME_LENGTH = 100


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Scope).index(self)


def grants(scopes: list[Scope] | list[str], required: Scope) -> bool:
    """Whether a token holding ``scopes`` may do what needs ``required``."""
    return any(Scope(s).rank >= required.rank for s in scopes)


class ApiToken(BaseModel):
    """A token as listed: never its value or hash."""

    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class CreatedToken(ApiToken):
    """The answer to ``token create``: the only time the value is shown."""

    token: str = Field(description="the bearer token; store it now, it is not kept")


class TokenNotFound(ProvgraphError):
    title = "Token not found"
    status = 404
    slug = "token-not-found"

    def __init__(self, token_id: str) -> None:
        super().__init__(f"no API token with id {token_id!r}")
        self.token_id = token_id


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode("ascii"), hashlib.sha256).hexdigest()


def _token(props: dict[str, Any]) -> ApiToken:
    return ApiToken.model_validate(
        {k: plain(v) for k, v in props.items() if k in ApiToken.model_fields}
    )


def create_token(store: Store, name: str, scopes: list[Scope]) -> CreatedToken:
    """A new token with ``scopes``; the returned value is never stored or shown again."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise InvalidInput(f"token name must be 1..{MAX_NAME_LENGTH} printable characters")
    if not scopes:
        raise InvalidInput("a token needs at least one scope (read, write or admin)")
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    rows, _ = store.write(
        lambda tx: tx.run(
            "token_create",
            id=token_id,
            name=name,
            scopes=sorted({s.value for s in scopes}, key=lambda s: Scope(s).rank),
            salt=salt.hex(),
            hash=_digest(salt, secret),
            now=datetime.now(UTC),
        )
    )
    created = _token(rows[0]["token"])
    return CreatedToken(**created.model_dump(), token=f"{PREFIX}{token_id}_{secret}")


def list_tokens(store: Store, *, include_revoked: bool = False) -> list[ApiToken]:
    tokens = [_token(r["token"]) for r in store.query("token_list")]
    return [t for t in tokens if include_revoked or t.active]


def revoke_token(store: Store, token_id: str) -> ApiToken:
    """Revoke a token at once (an API process notices within ``TokenVerifier.ttl``)."""
    rows, _ = store.write(lambda tx: tx.run("token_revoke", id=token_id, now=datetime.now(UTC)))
    if not rows:
        raise TokenNotFound(token_id)
    return _token(rows[0]["token"])


def verify_token(store: Store, value: str) -> ApiToken | None:
    """The active token ``value`` names, or None for a malformed, unknown or revoked one."""
    match = _TOKEN.fullmatch(value)
    if match is None:
        return None
    token_id, secret = match.groups()
    rows = store.query("token_secret", id=token_id)
    if not rows:
        return None
    row = rows[0]
    if not hmac.compare_digest(_digest(bytes.fromhex(row["salt"]), secret), row["hash"]):
        return None
    token = _token(row["token"])
    return token if token.active else None


class TokenVerifier:
    """``verify_token`` with a short in-process cache keyed by a digest of the value.

    ``ttl`` bounds how long a revoked token keeps working in a running API.
    """

    def __init__(self, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self._max = max_entries
        self._cache: dict[str, tuple[float, ApiToken | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, store: Store, value: str) -> ApiToken | None:
        key = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        token = verify_token(store, value)
        with self._lock:
            if len(self._cache) >= self._max:
                self._cache.clear()
            self._cache[key] = (now + self.ttl, token)
        return token
