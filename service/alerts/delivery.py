"""Delivering queued webhook events: signed JSON POSTs, retried with exponential backoff.

Deliveries are created (``pending``) in the transaction that records an alert, before any
request is made. A sender leases due deliveries (under the ``alerts:deliveries`` lock, so two
senders never take the same one), POSTs each one, and logs the attempt on the `:Delivery`:
``attempts``, ``last_status``, ``last_error``, ``next_attempt_at``, ``status``
(pending → delivered | failed), ``delivered_at`` and one ``log`` entry per attempt.

Outcomes: 2xx delivered; 408, 429, 5xx, timeouts and connection errors are retried
(``Retry-After`` honoured up to ``max_delay``); any other status (4xx, and 3xx: redirects are
not followed) fails at once. Delivery is at-least-once: a sender that dies after a POST but
before logging it sends again once its lease expires, with the same ``X-Provgraph-Delivery``
id, so receivers deduplicate on that header.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from provgraph.service.alerts.models import DeliveryAttempt, DeliveryRun
from provgraph.service.alerts.signing import sign
from provgraph.service.store import Store, Tx

if TYPE_CHECKING:  # imported where a request is made: see _ClientOnDemand
    import httpx

__all__ = ["DEFAULT_RETRY", "Dispatcher", "RetryPolicy", "deliver_pending", "outcome_of"]

log = logging.getLogger(__name__)

DELIVERIES_LOCK = "alerts:deliveries"
USER_AGENT = "provgraph-webhooks/1"
MAX_ERROR_CHARS = 300
Outcome = Literal["delivered", "retry", "failed"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon to retry. Delay after failed attempt n (1-based):
    ``base_delay * factor**(n-1)``, ± ``jitter`` (a fraction), at most ``max_delay``."""

    max_attempts: int = 5
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.2
    timeout: float = 5.0  # per request: connect, write, read
    lease: float = 30.0  # extra time a sender keeps the deliveries it claimed

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.timeout, self.lease) < 0 or self.factor < 1:
            raise ValueError("delays must be non-negative and factor at least 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        raw = min(self.max_delay, self.base_delay * self.factor ** (attempt - 1))
        spread = raw * self.jitter
        return min(self.max_delay, max(0.0, raw + (rng or random).uniform(-spread, spread)))


DEFAULT_RETRY = RetryPolicy()


def outcome_of(status_code: int | None) -> Literal["delivered", "retry", "failed"]:
    """Classify an HTTP status (None: no response, i.e. timeout or connection error)."""
    if status_code is None or status_code in (408, 429) or status_code >= 500:
        return "retry"
    return "delivered" if 200 <= status_code < 300 else "failed"


class _Clock:
    """Real time, or virtual time that starts at ``start`` and moves only when we sleep."""

    def __init__(self, start: datetime | None) -> None:
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._fixed = start

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        if self._fixed is not None:
            self._fixed += timedelta(seconds=seconds)


@dataclass
class _Response:
    status_code: int | None
    error: str | None
    retry_after: float | None
    duration_ms: int
    fatal: bool = False  # no request could be made (e.g. a URL edited into nonsense)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _payload_key(event: str) -> str:
    return "risk" if event.startswith("risk.") else "conflict"


def _post(client: httpx.Client, url: str, secret: str, delivery: dict[str, Any]) -> _Response:
    import httpx

    timestamp = int(time.time())
    body = json.dumps(
        {
            "event": delivery["event"],
            # the frozen payload: a license conflict, or a synthetic-data risk finding
            _payload_key(delivery["event"]): json.loads(delivery["conflict"]),
            "sent_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Provgraph-Event": delivery["event"],
        "X-Provgraph-Delivery": delivery["id"],
        "X-Provgraph-Timestamp": str(timestamp),
        "X-Provgraph-Signature": sign(secret, timestamp, body),
    }
    started = time.monotonic()
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            snippet = b""
            for chunk in response.iter_bytes():  # read a little, never a huge reply
                snippet += chunk
                if len(snippet) >= MAX_ERROR_CHARS:
                    break
            error = None
            if not response.is_success:
                text = snippet.decode("utf-8", "replace").strip()[:MAX_ERROR_CHARS]
                error = f"HTTP {response.status_code}" + (f": {text}" if text else "")
            return _Response(
                response.status_code,
                error,
                _retry_after(response.headers.get("retry-after")),
                int((time.monotonic() - started) * 1000),
            )
    except httpx.HTTPError as exc:  # timeouts, connection errors, protocol errors: retry
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        return _Response(None, error, None, int((time.monotonic() - started) * 1000))
    except (httpx.InvalidURL, ValueError) as exc:  # retrying cannot help
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        return _Response(None, error, None, 0, fatal=True)


def _claim(
    store: Store, now: datetime, retry: RetryPolicy, webhooks: list[str] | None, limit: int
) -> list[dict[str, Any]]:
    lease_until = now + timedelta(seconds=retry.lease + limit * (retry.timeout + 1))

    def work(tx: Tx) -> list[dict[str, Any]]:
        tx.run("alert_lock", name=DELIVERIES_LOCK, now=now)
        return tx.run(
            "webhook_claim_deliveries",
            now=now,
            lease_until=lease_until,
            webhooks=webhooks,
            limit=limit,
        )

    rows, _ = store.write(work)
    return rows


def _attempt(
    store: Store,
    client: httpx.Client,
    row: dict[str, Any],
    *,
    now: datetime,
    retry: RetryPolicy,
    rng: random.Random | None,
) -> Outcome:
    delivery = row["delivery"]
    attempts = int(delivery.get("attempts") or 0) + 1
    if not row.get("secret"):
        response = _Response(None, "the webhook has no secret: not sent", None, 0)
        outcome: Outcome = "failed"
    else:
        response = _post(client, row["url"], row["secret"], delivery)
        outcome = "failed" if response.fatal else outcome_of(response.status_code)
    if outcome == "retry" and attempts >= retry.max_attempts:
        outcome = "failed"
    next_at = None
    if outcome == "retry":
        wait = retry.delay(attempts, rng)
        if response.retry_after is not None:
            wait = min(retry.max_delay, max(wait, response.retry_after))
        next_at = now + timedelta(seconds=wait)
    entry = DeliveryAttempt(
        at=now,
        status_code=response.status_code,
        error=response.error,
        duration_ms=response.duration_ms,
        outcome=outcome,
    )
    status = {"delivered": "delivered", "retry": "pending", "failed": "failed"}[outcome]
    store.write(
        lambda tx: tx.run(
            "webhook_record_attempt",
            id=delivery["id"],
            webhook_id=delivery["webhook_id"],
            status=status,
            attempts=attempts,
            last_status=response.status_code,
            last_error=response.error,
            at=now,
            next_attempt_at=next_at,
            delivered_at=now if outcome == "delivered" else None,
            entry=entry.model_dump_json(),
        )
    )
    if outcome == "failed":
        log.warning("webhook delivery %s failed: %s", delivery["id"], response.error)
    return outcome


def new_client(retry: RetryPolicy = DEFAULT_RETRY) -> httpx.Client:
    """The HTTP client deliveries use: short timeouts, no redirects."""
    import httpx

    return httpx.Client(timeout=httpx.Timeout(retry.timeout), follow_redirects=False)


class _ClientOnDemand:
    """The client given, or one made at the first request and closed by :meth:`close`.

    Most API processes never send a webhook, and importing httpx (with the command-line
    libraries it loads when they are installed: click, rich, pygments) costs each one
    ~5 MB of RSS, so the dispatcher every API process runs makes no client until a
    delivery is due."""

    def __init__(self, retry: RetryPolicy, given: httpx.Client | None = None) -> None:
        self._retry = retry
        self._given = given
        self._own: httpx.Client | None = None

    def get(self) -> httpx.Client:
        if self._given is not None:
            return self._given
        if self._own is None:
            self._own = new_client(self._retry)
        return self._own

    def close(self) -> None:
        if self._own is not None:
            self._own.close()
            self._own = None


def deliver_pending(
    store: Store,
    *,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    retry: RetryPolicy = DEFAULT_RETRY,
    webhooks: Collection[str] | None = None,
    max_wait: float | None = None,
    client: httpx.Client | _ClientOnDemand | None = None,
    batch: int = 10,
    rng: random.Random | None = None,
    cancel: threading.Event | None = None,
) -> DeliveryRun:
    """Send every pending delivery that is due (of ``webhooks``, default all), then keep
    going: sleep until the next retry falls due and send again, until nothing is pending or
    the next one is due more than ``max_wait`` seconds after the start (``max_wait=0``: one
    pass over what is due now). ``now`` starts a virtual clock that only ``sleep`` advances
    (for tests and replays); it times the schedule, while the signed timestamp and
    ``sent_at`` are always the real time. A restarted process resumes with this call."""
    clock = _Clock(now)
    start = clock.now()
    scope = sorted(webhooks) if webhooks is not None else None
    http = client if isinstance(client, _ClientOnDemand) else _ClientOnDemand(retry, client)
    run = DeliveryRun()
    idle = 0
    try:
        while cancel is None or not cancel.is_set():
            rows = _claim(store, clock.now(), retry, scope, batch)
            for row in rows:
                if cancel is not None and cancel.is_set():
                    break
                outcome = _attempt(store, http.get(), row, now=clock.now(), retry=retry, rng=rng)
                run.attempts += 1
                if outcome == "delivered":
                    run.delivered += 1
                elif outcome == "failed":
                    run.failed += 1
                else:
                    run.retrying += 1
            if rows:
                idle = 0
                continue
            due = store.query("webhook_next_due", now=clock.now(), webhooks=scope)[0]
            run.pending = int(due["pending"])
            run.next_due = _as_datetime(due["next_due"])
            if run.next_due is None:
                break
            wait = (run.next_due - clock.now()).total_seconds()
            if max_wait is not None and (run.next_due - start).total_seconds() > max_wait:
                break
            idle = idle + 1 if wait <= 0 else 0
            if idle > 3:  # due, yet never claimable: do not spin
                break
            pause = wait if wait > 0 else 0.05
            sleep(pause)
            clock.advance(pause)
    finally:
        if http is not client:
            http.close()
    return run


def _as_datetime(value: Any) -> datetime | None:
    """A Neo4j DateTime (or None) as an aware Python datetime."""
    native = getattr(value, "to_native", None)
    if callable(native):
        found = native()
        return found if isinstance(found, datetime) else None
    return value if isinstance(value, datetime) else None


class Dispatcher:
    """Delivers webhook events from a daemon thread: one per API process.

    ``start()`` at startup, ``wake()`` after a write queued deliveries, ``stop()`` at
    shutdown. It also wakes on its own for retries and every ``poll_interval`` seconds (for
    deliveries queued by other processes, e.g. the CLI). ``store`` may be a callable, so the
    thread connects only when the database is up.
    """

    def __init__(
        self,
        store: Store | Callable[[], Store],
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        poll_interval: float = 30.0,
        webhooks: Collection[str] | None = None,
    ) -> None:
        self._store = store
        self.retry = retry
        self.poll_interval = poll_interval
        self.webhooks = webhooks
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_run: DeliveryRun | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._wake.set()  # a first pass at once: resume what a previous process left
        self._thread = threading.Thread(target=self._run, name="provgraph-webhooks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Send what is due now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        client = _ClientOnDemand(self.retry)
        try:
            while not self._stop.is_set():
                self._wake.clear()
                wait = self.poll_interval
                try:
                    store = self._store() if callable(self._store) else self._store
                    run = deliver_pending(
                        store,
                        retry=self.retry,
                        webhooks=self.webhooks,
                        max_wait=0,
                        client=client,
                        cancel=self._stop,
                    )
                    self.last_run = run
                    if run.next_due is not None:
                        due_in = (run.next_due - datetime.now(UTC)).total_seconds()
                        wait = min(wait, max(due_in, 0.05))
                except Exception:  # keep the thread alive: the next pass retries
                    log.exception("webhook dispatcher pass failed")
                self._wake.wait(wait)
        finally:
            client.close()
