"""HMAC-SHA256 signatures of webhook deliveries, for the sender and for receivers.

The signed message is ``f"{timestamp}.{body}"``: the ``X-Provgraph-Timestamp`` header (unix
seconds), a dot, and the raw request body. ``X-Provgraph-Signature`` is ``sha256=<hex>``.
Signing the timestamp lets a receiver refuse replays of old deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["SIGNATURE_PREFIX", "sign", "verify_signature"]

SIGNATURE_PREFIX = "sha256="
DEFAULT_MAX_AGE_S = 300.0


def _message(timestamp: str | int, body: bytes | str) -> bytes:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return str(timestamp).encode("ascii") + b"." + raw


def sign(secret: str, timestamp: str | int, body: bytes | str) -> str:
    """The ``X-Provgraph-Signature`` header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), _message(timestamp, body), hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes | str,
    header: str | None,
    *,
    max_age: float | None = DEFAULT_MAX_AGE_S,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs ``body`` and ``timestamp`` with ``secret`` (constant-time
    comparison) and, unless ``max_age`` is None, the timestamp is within ``max_age`` seconds
    of ``now`` (default: the clock)."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    try:
        sent = int(str(timestamp))
    except ValueError:
        return False
    if max_age is not None and abs((time.time() if now is None else now) - sent) > max_age:
        return False
    try:
        expected = sign(secret, timestamp, body)
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), header.encode("utf-8", "replace"))
