"""Where events go. A sink has one verb, ``emit(event)``, plus ``flush()`` and ``close()``.

- ``HttpSink``: ``POST /api/v1/ingest`` of a provgraph API. Durable: while the API is down
  (connection refused, timeout, 5xx, 429) events go to a local spool, delivered in order
  before the next event and on ``flush``/``close``.
- ``Neo4jSink``: straight into Neo4j through the ingest domain function; durable the same
  way while the database is unreachable.
- ``NdjsonFileSink``: appends the records to an NDJSON file (load it later with
  ``provgraph ingest``).
- ``MemorySink``: keeps events in a list; the public test double.
- ``NullSink``: drops everything; only chosen by ``PROVGRAPH_DISABLED=1``.

An event the receiver refuses as invalid raises ``EventRejected`` and is not spooled:
retrying cannot fix it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from typing import Protocol

import httpx

from provgraph.sdk.errors import EventRejected
from provgraph.sdk.events import Event
from provgraph.sdk.spool import Spool, TransientFailure
from provgraph.service.errors import InvalidInput, ProvgraphError, StoreUnavailable
from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = [
    "DEFAULT_TIMEOUT",
    "HttpSink",
    "MemorySink",
    "NdjsonFileSink",
    "Neo4jSink",
    "NullSink",
    "Sink",
    "default_spool_path",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRY_AFTER = 2.0
INGEST_PATH = "/api/v1/ingest"
# Kept in the spool, not dropped: a missing or expired token (401/403) is fixed by the
# operator, after which the next flush delivers the run's events.
_RETRYABLE = {401, 403, 408, 425, 429}


class Sink(Protocol):
    def emit(self, event: Event) -> None: ...

    def flush(self) -> int: ...

    def close(self) -> None: ...


def default_spool_path(key: str, settings: Settings | None = None) -> Path:
    """``<PROVGRAPH_HOME>/spool/<sha of the destination>.ndjson``: one spool per destination."""
    home = (settings or Settings.from_env()).home
    return home / "spool" / (hashlib.sha256(key.encode()).hexdigest()[:16] + ".ndjson")


class MemorySink:
    """Keeps every event; ``records()`` flattens them (for tests and dry runs)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed = False

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def flush(self) -> int:
        return 0

    def close(self) -> None:
        self.closed = True

    def records(self) -> list[dict[str, object]]:
        return [r for e in self.events for r in e.records]

    def lines(self) -> list[str]:
        return [line for e in self.events for line in e.lines()]


class NullSink(MemorySink):
    """Drops events (``PROVGRAPH_DISABLED=1``)."""

    def emit(self, event: Event) -> None:
        return None


class NdjsonFileSink:
    """Appends each event's records to an NDJSON file, fsynced."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def emit(self, event: Event) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as handle:
            handle.write(event.body())
            handle.flush()
            os.fsync(handle.fileno())

    def flush(self) -> int:
        return 0

    def close(self) -> None:
        return None


class _DurableSink:
    """Send now if possible, else spool; spooled events go first, in order. After a failure
    the receiver is not tried again for ``retry_after`` seconds (events go straight to the
    spool), so an outage does not slow the run down; ``flush()`` always tries."""

    def __init__(self, spool: Spool, *, retry_after: float = DEFAULT_RETRY_AFTER) -> None:
        self.spool = spool
        self.retry_after = retry_after
        self._down_until = 0.0

    def _send(self, event: Event) -> None:
        raise NotImplementedError

    def _send_or_mark_down(self, event: Event) -> None:
        try:
            self._send(event)
        except TransientFailure:
            self._down_until = time.monotonic() + self.retry_after
            raise

    def emit(self, event: Event) -> None:
        if self.spool.path.exists():
            if time.monotonic() >= self._down_until:
                self.flush()
            if self.spool.path.exists():  # still down: queue behind the others
                self.spool.append(event)
                return
        try:
            self._send_or_mark_down(event)
        except TransientFailure as exc:
            log.warning(
                "receiver unavailable (%s): event %s spooled to %s",
                exc,
                event.event_id,
                self.spool.path,
            )
            self.spool.append(event)

    def flush(self) -> int:
        """Deliver spooled events in order; returns how many went out."""
        return self.spool.drain(self._send_or_mark_down)

    def pending(self) -> int:
        return len(self.spool)

    def close(self) -> None:
        self.flush()
        left = self.pending()
        if left:
            log.warning(
                "%d event(s) still spooled in %s: delivered by the next flush",
                left,
                self.spool.path,
            )


class HttpSink(_DurableSink):
    """Events to a provgraph API (``url`` like ``http://127.0.0.1:8000``)."""

    def __init__(
        self,
        url: str,
        *,
        spool: str | os.PathLike[str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry_after: float = DEFAULT_RETRY_AFTER,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        super().__init__(Spool(spool or default_spool_path(self.url)), retry_after=retry_after)
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(timeout=timeout, headers=headers)

    def _send(self, event: Event) -> None:
        try:
            response = self._client.post(
                self.url + INGEST_PATH,
                content=event.body(),
                headers={
                    "Content-Type": "application/x-ndjson",
                    "X-Provgraph-Event-Id": event.event_id,
                    # The audit trail names the run that wrote (docs/security.md).
                    **({"X-Provgraph-Run": event.run_id} if event.run_id else {}),
                },
            )
        except httpx.TransportError as exc:
            raise TransientFailure(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code in _RETRYABLE:
            raise TransientFailure(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = str(response.json().get("detail", response.text))
            except ValueError:
                detail = response.text
            raise EventRejected(
                f"{self.url} refused event {event.event_id} "
                f"(HTTP {response.status_code}): {detail}",
                event_id=event.event_id,
                status=response.status_code,
            )

    def close(self) -> None:
        super().close()
        self._client.close()


class Neo4jSink(_DurableSink):
    """Events straight into Neo4j (the ingest domain function, license alerts included)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        spool: str | os.PathLike[str] | None = None,
        retry_after: float = DEFAULT_RETRY_AFTER,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self._store: Store | None = None
        key = "neo4j:" + (self.settings.neo4j_uri or "local") + "/" + self.settings.database
        spool_path = spool or default_spool_path(key, self.settings)
        super().__init__(Spool(spool_path), retry_after=retry_after)

    def _connected(self) -> Store:
        if self._store is None:
            store = Store.connect(self.settings)
            try:
                store.ensure_schema()
            except ProvgraphError:
                store.close()
                raise
            self._store = store
        return self._store

    def _send(self, event: Event) -> None:
        from provgraph.service.ingest import ingest_lines

        try:
            ingest_lines(self._connected(), event.lines(), source=f"event {event.event_id}")
        except StoreUnavailable as exc:
            raise TransientFailure(exc.detail) from exc
        except InvalidInput as exc:
            raise EventRejected(exc.detail, event_id=event.event_id) from exc
        except ProvgraphError as exc:  # a cycle or other refusal: the event cannot succeed
            raise EventRejected(exc.detail, event_id=event.event_id) from exc

    def close(self) -> None:
        super().close()
        if self._store is not None:
            self._store.close()
            self._store = None
