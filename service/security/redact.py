"""Keep secrets out of logs: API token values, the Neo4j password, webhook secrets.

Installed by ``provgraph serve`` as a log-record factory, so it applies to every logger
and handler (uvicorn's included) whatever logging configuration comes later. provgraph
itself never logs a secret; this catches third-party messages that echo a header or URI.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from provgraph.service.settings import Settings

__all__ = ["install_log_redaction", "redact"]

_PATTERNS = (
    (re.compile(r"(pgt_[0-9a-f]{16}_)[A-Za-z0-9_-]+"), r"\1***"),
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1***"),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^@\s]+@"), r"\1***@"),
)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with token values, bearer credentials, URI passwords and ``secrets`` masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def install_log_redaction(settings: Settings) -> None:
    secrets = tuple(s for s in (settings.neo4j_password,) if s)
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging to report
            return record
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)
