"""Conflict alerts and webhooks against a real Neo4j and a real HTTP receiver on loopback.

Webhooks are global, so every test registers its own (deleted afterwards), sends only to its
own (`webhooks=[...]`), and counts only deliveries about artifacts under its `ns` prefix.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from provgraph.service.alerts import (
    Delivery,
    Dispatcher,
    RetryPolicy,
    Webhook,
    WebhookNotFound,
    delete_webhook,
    deliver_pending,
    get_webhook,
    list_alerts,
    list_deliveries,
    list_webhooks,
    outcome_of,
    refresh_conflicts,
    register_webhook,
    scan_conflicts,
    verify_signature,
)
from provgraph.service.errors import InvalidInput, NotFound
from provgraph.service.ingest import ingest_lines
from provgraph.service.store import Store

FAST = RetryPolicy(max_attempts=5, base_delay=0.02, factor=2.0, max_delay=0.2, jitter=0.0)


# ---------------------------------------------------------------- a real receiver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST; it answers `fail_status` to the
    first `fail_first` requests, then `status`, each after `delay` seconds."""

    def __init__(
        self, *, fail_first: int = 0, fail_status: int = 500, status: int = 200, delay: float = 0
    ) -> None:
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    seen = len(receiver.requests)
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                time.sleep(delay)
                code = fail_status if seen < fail_first else status
                reply = b"ok" if code < 300 else b"nope"
                self.send_response(code)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(**options: Any) -> Receiver:
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for r in made:
        r.close()


@dataclass
class Hook:
    webhook: Webhook
    secret: str

    @property
    def id(self) -> str:
        return self.webhook.id


@pytest.fixture()
def hook(store: Store) -> Iterator[Callable[..., Hook]]:
    """Register webhooks for one test; they (and their deliveries) are removed afterwards."""
    made: list[str] = []

    def register(url: str, min_severity: str = "warning") -> Hook:
        secret = secrets.token_hex(16)
        webhook = register_webhook(store, url, secret, min_severity=min_severity)  # type: ignore[arg-type]
        made.append(webhook.id)
        return Hook(webhook, secret)

    yield register
    for webhook_id in made:
        with contextlib.suppress(WebhookNotFound):
            delete_webhook(store, webhook_id)


# ---------------------------------------------------------------- the seed case


def seed(store: Store, ns: str) -> list[str]:
    """An OpenAI model generates a dataset that trains a publicly released LLM."""
    records = [
        {
            "node": "model",
            "id": f"{ns}gpt-4",
            "name": "GPT-4",
            "license": "LicenseRef-openai-terms",
            "vendor": "OpenAI",
            "model_type": "llm",
            "weights": "api",
        },
        {"node": "dataset", "id": f"{ns}d", "name": "synthetic instructions"},
        {"node": "model", "id": f"{ns}m", "model_type": "llm", "distribution": "public"},
        {"edge": "GENERATED_BY", "from": f"{ns}d", "to": f"{ns}gpt-4"},
        {"edge": "TRAINED_ON", "from": f"{ns}m", "to": f"{ns}d"},
    ]
    # alerts=False: these tests drive refresh_conflicts themselves.
    ingest_lines(store, [json.dumps(r) for r in records], alerts=False)
    return [f"{ns}gpt-4", f"{ns}d", f"{ns}m"]


def write(store: Store, *records: dict[str, Any]) -> None:
    ingest_lines(store, [json.dumps(r) for r in records], alerts=False)


def mine(deliveries: list[Delivery], ns: str) -> list[Delivery]:
    return [d for d in deliveries if d.node.startswith(ns)]


def test_seed_case_alerts_once_with_a_valid_signature(
    store: Store, ns: str, receiver: Callable[..., Receiver], hook: Callable[..., Hook]
) -> None:
    rx = receiver()
    wh = hook(rx.url)
    result = refresh_conflicts(store, seed(store, ns))

    assert result.evaluated and result.affected == 3
    competing = [a for a in result.opened if a.rule == "no-competing-models"]
    assert len(competing) == 1
    alert = competing[0]
    assert (alert.node, alert.severity, alert.status) == (f"{ns}m", "error", "open")
    assert alert.origin == {
        "node": f"{ns}gpt-4",
        "license": "LicenseRef-openai-terms",
        "clause": "no-competing-models",
    }
    assert [(h["from"], h["type"]) for h in alert.path] == [
        (f"{ns}m", "TRAINED_ON"),
        (f"{ns}d", "GENERATED_BY"),
    ]
    assert alert.citation and alert.citation["url"].startswith("https://openai.com/")
    listed = list_alerts(store, artifact=f"{ns}m", status="open", severity="error")
    assert [a.fingerprint for a in listed] == [alert.fingerprint]
    at_least_warning = list_alerts(store, artifact=f"{ns}m", severity="warning")
    assert sorted(a.severity for a in at_least_warning) == ["error", "warning"]

    run = deliver_pending(store, webhooks=[wh.id], retry=FAST)
    assert run.failed == 0 and run.pending == 0
    about = [r for r in rx.requests if r.json()["conflict"]["fingerprint"] == alert.fingerprint]
    assert len(about) == 1
    request = about[0]
    body, headers = request.body, request.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-provgraph-event"] == "conflict.opened"
    timestamp, signature = headers["x-provgraph-timestamp"], headers["x-provgraph-signature"]
    assert verify_signature(wh.secret, timestamp, body, signature)
    expected = hmac.new(wh.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    assert signature == "sha256=" + expected.hexdigest()
    assert not verify_signature("another secret", timestamp, body, signature)
    assert not verify_signature(wh.secret, timestamp, body.replace(b"OpenAI", b"Acme"), signature)

    payload = request.json()
    assert set(payload) == {"event", "conflict", "sent_at"}
    sent = payload["conflict"]
    assert sent["rule"] == "no-competing-models" and sent["node"] == f"{ns}m"
    assert sent["first_seen"] and sent["remedy"] and sent["explanation"]
    deliveries = mine(list_deliveries(store, wh.id), ns)
    by_id = {d.id: d for d in deliveries}
    delivered = by_id[headers["x-provgraph-delivery"]]
    assert (delivered.status, delivered.attempts, delivered.last_status) == ("delivered", 1, 200)
    assert delivered.delivered_at is not None and delivered.fingerprint == alert.fingerprint

    # Idempotent: the same graph evaluated again opens nothing and queues nothing.
    again = refresh_conflicts(store, [f"{ns}gpt-4", f"{ns}d", f"{ns}m"])
    assert again.evaluated and again.opened == [] and again.resolved == []
    assert again.deliveries_queued == 0 and again.findings == result.findings
    assert len(mine(list_deliveries(store, wh.id), ns)) == len(deliveries)
    before = len(rx.requests)
    deliver_pending(store, webhooks=[wh.id], retry=FAST)
    assert len(rx.requests) == before


def test_failing_twice_then_succeeding_logs_three_attempts(
    store: Store, ns: str, receiver: Callable[..., Receiver], hook: Callable[..., Hook]
) -> None:
    rx = receiver(fail_first=2)
    wh = hook(rx.url, min_severity="error")
    refresh_conflicts(store, seed(store, ns))

    run = deliver_pending(store, webhooks=[wh.id], retry=FAST)
    assert (run.attempts, run.retrying, run.delivered, run.failed) == (3, 2, 1, 0)
    (delivery,) = mine(list_deliveries(store, wh.id), ns)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)
    assert [(e.status_code, e.outcome) for e in delivery.log] == [
        (500, "retry"),
        (500, "retry"),
        (200, "delivered"),
    ]
    assert delivery.last_error is None and delivery.next_attempt_at is None
    # Every attempt carries the same delivery id (receivers deduplicate on it), freshly signed.
    assert {r.headers["x-provgraph-delivery"] for r in rx.requests} == {delivery.id}
    for r in rx.requests:
        assert verify_signature(
            wh.secret,
            r.headers["x-provgraph-timestamp"],
            r.body,
            r.headers["x-provgraph-signature"],
        )


def test_a_400_fails_at_once(
    store: Store, ns: str, receiver: Callable[..., Receiver], hook: Callable[..., Hook]
) -> None:
    rx = receiver(status=400)
    wh = hook(rx.url, min_severity="error")
    refresh_conflicts(store, seed(store, ns))

    run = deliver_pending(store, webhooks=[wh.id], retry=FAST)
    assert (run.attempts, run.failed) == (1, 1)
    (delivery,) = mine(list_deliveries(store, wh.id), ns)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("failed", 1, 400)
    assert delivery.last_error == "HTTP 400: nope"
    assert len(rx.requests) == 1


def test_an_unreachable_receiver_is_retried_with_backoff_then_failed(
    store: Store, ns: str, hook: Callable[..., Hook]
) -> None:
    wh = hook(f"http://127.0.0.1:{free_port()}/nobody-listens", min_severity="error")
    refresh_conflicts(store, seed(store, ns))
    slept: list[float] = []
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, factor=2.0, max_delay=3.0, jitter=0.0)

    # A virtual clock that only the (fake) sleep advances: the schedule without the waiting.
    run = deliver_pending(
        store, webhooks=[wh.id], retry=policy, now=datetime.now(UTC), sleep=slept.append
    )
    assert (run.attempts, run.retrying, run.failed, run.pending) == (4, 3, 1, 0)
    assert slept == pytest.approx([1.0, 2.0, 3.0])  # 1 s, doubled, capped at max_delay
    (delivery,) = mine(list_deliveries(store, wh.id), ns)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("failed", 4, None)
    assert delivery.last_error and "ConnectError" in delivery.last_error
    assert [e.outcome for e in delivery.log] == ["retry", "retry", "retry", "failed"]
    gaps = [
        (b.at - a.at).total_seconds() for a, b in zip(delivery.log, delivery.log[1:], strict=False)
    ]
    assert gaps == pytest.approx([1.0, 2.0, 3.0])


def test_a_restarted_sender_resumes_what_is_due(
    store: Store, ns: str, receiver: Callable[..., Receiver], hook: Callable[..., Hook]
) -> None:
    rx = receiver(fail_first=1)
    wh = hook(rx.url, min_severity="error")
    refresh_conflicts(store, seed(store, ns))
    slow = RetryPolicy(base_delay=60.0, max_delay=60.0, jitter=0.0)
    first = deliver_pending(store, webhooks=[wh.id], retry=slow, max_wait=0)
    assert (first.attempts, first.retrying, first.pending) == (1, 1, 1)
    assert first.next_due is not None

    # "Later" (a new process): what is due is sent, nothing else.
    later = deliver_pending(store, webhooks=[wh.id], retry=slow, now=first.next_due, max_wait=0)
    assert (later.attempts, later.delivered, later.pending) == (1, 1, 0)
    (delivery,) = mine(list_deliveries(store, wh.id), ns)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_two_senders_never_send_the_same_delivery(
    store: Store, ns: str, receiver: Callable[..., Receiver], hook: Callable[..., Hook]
) -> None:
    rx = receiver(delay=0.1)
    wh = hook(rx.url)
    ids = seed(store, ns)
    write(store, {"node": "model", "id": f"{ns}m2", "model_type": "llm", "distribution": "public"})
    write(store, {"edge": "TRAINED_ON", "from": f"{ns}m2", "to": f"{ns}d"})
    result = refresh_conflicts(store, [*ids, f"{ns}m2"])
    assert result.deliveries_queued >= 4

    def send() -> None:
        deliver_pending(store, webhooks=[wh.id], retry=FAST, batch=1)

    senders = [threading.Thread(target=send) for _ in range(2)]
    for t in senders:
        t.start()
    for t in senders:
        t.join(30)
    assert not any(t.is_alive() for t in senders)
    sent = Counter(r.headers["x-provgraph-delivery"] for r in rx.requests)
    deliveries = mine(list_deliveries(store, wh.id), ns)
    assert len(deliveries) == len(sent) == result.deliveries_queued
    assert {d.status for d in deliveries} == {"delivered"}
    # Each request is one logged attempt of one sender: a delivery reaches the receiver twice
    # only when its first attempt was logged as failed (a timeout on a loaded machine), never
    # because both senders held it.
    assert sent == {d.id: d.attempts for d in deliveries}


def test_dispatcher_delivers_in_the_background(
    store: Store, ns: str, receiver: Callable[..., Receiver], hook: Callable[..., Hook]
) -> None:
    rx = receiver(fail_first=1)
    wh = hook(rx.url, min_severity="error")
    dispatcher = Dispatcher(lambda: store, retry=FAST, poll_interval=5.0, webhooks=[wh.id])
    dispatcher.start()
    try:
        refresh_conflicts(store, seed(store, ns))
        dispatcher.wake()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            found = mine(list_deliveries(store, wh.id), ns)
            if found and found[0].status == "delivered":
                break
            time.sleep(0.05)
    finally:
        dispatcher.stop()
    assert not dispatcher.running
    (delivery,) = mine(list_deliveries(store, wh.id), ns)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


# ---------------------------------------------------------------- resolution and reopening


def test_keeping_the_model_internal_resolves_and_releasing_it_reopens(
    store: Store, ns: str, hook: Callable[..., Hook]
) -> None:
    wh = hook("https://receiver.invalid/hook", min_severity="error")
    opened = refresh_conflicts(store, seed(store, ns)).opened
    (alert,) = [a for a in opened if a.rule == "no-competing-models"]

    write(store, {"node": "model", "id": f"{ns}m", "distribution": "internal"})
    result = refresh_conflicts(store, [f"{ns}m"])
    assert result.affected == 1 and result.opened == []
    assert [a.fingerprint for a in result.resolved] == [alert.fingerprint]
    (resolved,) = list_alerts(store, artifact=f"{ns}m", status="resolved")
    assert resolved.resolved_at is not None and resolved.status == "resolved"
    assert [a.rule for a in list_alerts(store, artifact=f"{ns}m", status="open")] == [
        "unknown-terms"
    ]

    # Released again: the same fingerprint is back, which is a new alert with a new delivery.
    write(store, {"node": "model", "id": f"{ns}m", "distribution": "public"})
    back = refresh_conflicts(store, [f"{ns}m"])
    assert [a.fingerprint for a in back.opened] == [alert.fingerprint]
    reopened = back.opened[0]
    assert reopened.first_seen == alert.first_seen and reopened.opened_at > alert.opened_at
    assert reopened.resolved_at is None and back.deliveries_queued == 1
    assert len(mine(list_deliveries(store, wh.id), ns)) == 2


def test_retracting_the_training_edge_resolves_the_conflict(store: Store, ns: str) -> None:
    opened = refresh_conflicts(store, seed(store, ns)).opened
    assert {a.node for a in opened} == {f"{ns}m"}
    retracted = datetime.now(UTC) + timedelta(milliseconds=1)
    write(
        store,
        {"edge": "TRAINED_ON", "from": f"{ns}m", "to": f"{ns}d", "valid_to": retracted.isoformat()},
    )
    time.sleep(0.01)
    result = refresh_conflicts(store, [f"{ns}m"])  # an edge touches its child
    assert sorted(a.rule for a in result.resolved) == ["no-competing-models", "unknown-terms"]
    assert list_alerts(store, artifact=f"{ns}m", status="open") == []


# ---------------------------------------------------------------- filters and limits


def test_an_error_webhook_gets_no_warnings(
    store: Store, ns: str, hook: Callable[..., Hook]
) -> None:
    errors_only = hook("https://receiver.invalid/errors", min_severity="error")
    everything = hook("https://receiver.invalid/all")
    result = refresh_conflicts(store, seed(store, ns))
    severities = sorted(a.severity for a in result.opened)
    assert severities == ["error", "warning"]  # no-competing-models, unknown-terms from d
    assert result.deliveries_queued == 3
    assert [d.severity for d in mine(list_deliveries(store, errors_only.id), ns)] == ["error"]
    assert sorted(d.severity for d in mine(list_deliveries(store, everything.id), ns)) == [
        "error",
        "warning",
    ]
    assert {d.status for d in mine(list_deliveries(store, everything.id), ns)} == {"pending"}


def test_too_many_affected_artifacts_are_not_evaluated(store: Store, ns: str) -> None:
    children = [{"node": "dataset", "id": f"{ns}c{i}"} for i in range(5)]
    edges = [{"edge": "DERIVED_FROM", "from": f"{ns}c{i}", "to": f"{ns}root"} for i in range(5)]
    write(store, {"node": "dataset", "id": f"{ns}root"}, *children, *edges)

    result = refresh_conflicts(store, [f"{ns}root"], max_affected=3)
    assert not result.evaluated and result.reason == "max_affected"
    # Counting stops one past the cap: the 5 children and the root are not all walked.
    assert result.affected == 4 and result.detail and "full scan" in result.detail
    assert list_alerts(store, artifact=f"{ns}c0") == []
    many = refresh_conflicts(store, [f"{ns}c{i}" for i in range(5)], max_affected=3)
    assert not many.evaluated and many.touched == 5
    assert refresh_conflicts(store, [f"{ns}root"], max_affected=6).evaluated


def test_a_prefix_scan_finds_what_no_refresh_recorded(store: Store, ns: str) -> None:
    seed(store, ns)
    scan = scan_conflicts(store, prefix=ns, page_size=2)
    assert (scan.artifacts, scan.pages, scan.skipped) == (3, 2, [])
    assert scan.opened == scan.findings == 2
    assert scan_conflicts(store, prefix=ns).opened == 0


def test_affected_artifacts_are_found_by_a_pruning_bfs(store: Store) -> None:
    operators = store.explain("conflict_affected", ids=["x"], as_of=datetime.now(UTC), limit=10)
    expands = [op for op in operators if op.startswith("VarLengthExpand")]
    assert expands and all(op.startswith("VarLengthExpand(Pruning,BFS") for op in expands)


# ---------------------------------------------------------------- webhooks and signatures


def test_the_secret_is_never_listed(store: Store, hook: Callable[..., Hook]) -> None:
    wh = hook("https://receiver.invalid/hook")
    assert wh.webhook.has_secret
    listed = [w for w in list_webhooks(store) if w.id == wh.id]
    assert listed == [wh.webhook] == [get_webhook(store, wh.id)]
    for shown in (wh.webhook, listed[0]):
        dumped = shown.model_dump_json()
        assert wh.secret not in dumped
        assert json.loads(dumped)["has_secret"] is True
        assert "secret" not in json.loads(dumped)
    assert wh.secret not in json.dumps([w.model_dump(mode="json") for w in list_webhooks(store)])


def test_webhook_registration_is_validated(store: Store) -> None:
    secret = "x" * 32
    for url in ("ftp://example.org/hook", "https:///nohost", "https://u:p@example.org/", "x"):
        with pytest.raises(InvalidInput):
            register_webhook(store, url, secret)
    with pytest.raises(InvalidInput, match="at least 16"):
        register_webhook(store, "https://example.org/hook", "short")
    with pytest.raises(InvalidInput):
        register_webhook(store, "https://example.org/hook", secret, min_severity="info")  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="no webhook"):
        delete_webhook(store, "wh_unknown")
    with pytest.raises(NotFound):
        list_deliveries(store, "wh_unknown")
    with pytest.raises(InvalidInput):
        list_alerts(store, status="closed")


def test_deleting_a_webhook_removes_it_and_its_log(
    store: Store, ns: str, hook: Callable[..., Hook]
) -> None:
    wh = hook("https://receiver.invalid/hook")
    queued = refresh_conflicts(store, seed(store, ns)).deliveries_queued
    assert delete_webhook(store, wh.id) >= queued == 2
    assert wh.id not in {w.id for w in list_webhooks(store)}
    with pytest.raises(WebhookNotFound):
        get_webhook(store, wh.id)


def test_signature_checks() -> None:
    secret, body = "k" * 32, b'{"event":"conflict.opened"}'
    now = time.time()
    ts = int(now)
    header = "sha256=" + hmac.new(secret.encode(), f"{ts}.".encode() + body, "sha256").hexdigest()
    assert verify_signature(secret, ts, body, header)
    assert verify_signature(secret, str(ts), body.decode(), header)
    assert not verify_signature(secret, ts, body, header.removeprefix("sha256="))
    assert not verify_signature(secret, ts, body, None)
    assert not verify_signature(secret, ts + 1, body, header)
    assert not verify_signature(secret, ts, body, header, now=now + 301)  # replayed too late
    assert verify_signature(secret, ts, body, header, now=now + 301, max_age=None)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (301, "failed"),
        (400, "failed"),
        (401, "failed"),
        (404, "failed"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (None, "retry"),
    ],
)
def test_outcome_of_a_status(status: int | None, outcome: str) -> None:
    assert outcome_of(status) == outcome


def test_backoff_doubles_up_to_the_cap_with_bounded_jitter() -> None:
    exact = RetryPolicy(base_delay=1.0, factor=2.0, max_delay=30.0, jitter=0.0)
    assert [exact.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    jittery = RetryPolicy(base_delay=1.0, factor=2.0, max_delay=30.0, jitter=0.2)
    assert all(3.2 <= jittery.delay(3) <= 4.8 for _ in range(50))
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_an_ingest_itself_opens_the_alert_and_queues_the_delivery(
    store: Store, ns: str, receiver: Callable[..., Receiver], hook: Callable[..., Hook]
) -> None:
    """The wiring users rely on: no explicit refresh, the write checks conflicts."""
    rx = receiver()
    hook(rx.url)
    records = [
        {
            "node": "model",
            "id": f"{ns}gpt-4",
            "license": "LicenseRef-openai-terms",
            "model_type": "llm",
        },
        {"node": "dataset", "id": f"{ns}d"},
        {"node": "model", "id": f"{ns}m", "model_type": "llm", "distribution": "public"},
        {"edge": "GENERATED_BY", "from": f"{ns}d", "to": f"{ns}gpt-4"},
        {"edge": "TRAINED_ON", "from": f"{ns}m", "to": f"{ns}d"},
    ]
    report = ingest_lines(store, [json.dumps(r) for r in records])
    assert report.alerts is not None and report.alerts.evaluated
    assert report.alerts.opened >= 1 and report.alerts.deliveries_queued >= 1
    alerts = list_alerts(store, artifact=f"{ns}m", status="open")
    assert [a.rule for a in alerts if a.severity == "error"] == ["no-competing-models"]
    again = ingest_lines(store, [json.dumps(r) for r in records])
    assert again.alerts is not None and again.alerts.opened == 0
