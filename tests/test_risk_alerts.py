"""Risk findings become alerts after writes, resolve when fixed, and reach webhooks that
subscribed to `risk.opened` (and only those), signed like conflict alerts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from provgraph.cli.main import run
from provgraph.service.alerts import (
    delete_webhook,
    deliver_pending,
    list_deliveries,
    register_webhook,
    verify_signature,
)
from provgraph.service.alerts.affected import DEFAULT_MAX_AFFECTED
from provgraph.service.ingest import ingest_lines
from provgraph.service.risk_alerts import list_risk_alerts, refresh_risk_alerts
from provgraph.service.settings import Settings
from provgraph.service.store import Store

SECRET = "s" * 32


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.bodies.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def lines(ns: str, human_records: int | None) -> list[str]:
    records: list[dict[str, Any]] = [
        {"node": "source", "id": f"{ns}h", "human": True},
        {"node": "model", "id": f"{ns}g"},
        {"node": "dataset", "id": f"{ns}d", "records": 100},
        {
            "edge": "GENERATED_BY",
            "from": f"{ns}d",
            "to": f"{ns}g",
            "records": 100 - (human_records or 0),
        },
    ]
    if human_records:
        records.append(
            {"edge": "DERIVED_FROM", "from": f"{ns}d", "to": f"{ns}h", "records": human_records}
        )
    return [json.dumps(r) for r in records]


def test_a_write_opens_risk_alerts_and_a_fix_resolves_them(
    store: Store, ns: str, receiver: Receiver
) -> None:
    conflict_hook = register_webhook(store, receiver.url, SECRET)
    risk_hook = register_webhook(store, receiver.url, SECRET, events=["risk.opened"])
    try:
        report = ingest_lines(store, lines(ns, None))
        assert report.alerts is not None and report.alerts.risk_opened == 1
        (alert,) = list_risk_alerts(store, artifact=f"{ns}d", status="open")
        assert (alert.rule, alert.severity) == ("low-human-fraction", "error")
        assert [d.event for d in list_deliveries(store, risk_hook.id)] == ["risk.opened"]
        # A webhook registered without events keeps receiving conflicts only.
        assert {d.event for d in list_deliveries(store, conflict_hook.id)} <= {"conflict.opened"}

        deliver_pending(store, webhooks=[risk_hook.id], max_wait=0)
        ((headers, body),) = receiver.bodies
        assert headers["x-provgraph-event"] == "risk.opened"
        assert verify_signature(
            SECRET, headers["x-provgraph-timestamp"], body, headers["x-provgraph-signature"]
        )
        payload = json.loads(body)
        assert (
            payload["risk"]["node"] == f"{ns}d" and payload["risk"]["rule"] == "low-human-fraction"
        )

        again = ingest_lines(store, lines(ns, None))  # nothing new: nothing opens, nothing sent
        assert again.alerts is not None and again.alerts.risk_opened == 0

        fixed = ingest_lines(store, lines(ns, 20))  # 20% human now
        assert fixed.alerts is not None and fixed.alerts.risk_resolved == 1
        assert list_risk_alerts(store, artifact=f"{ns}d", status="open") == []
        (resolved,) = list_risk_alerts(store, artifact=f"{ns}d", status="resolved")
        assert resolved.fingerprint == alert.fingerprint and resolved.resolved_at is not None
    finally:
        delete_webhook(store, conflict_hook.id)
        delete_webhook(store, risk_hook.id)


def test_cli_lists_risk_alerts(
    store: Store, ns: str, env_for_cli: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest_lines(store, lines(ns, None))
    assert run(["risk-alerts", "--artifact", f"{ns}d", "--json"]) == 0
    (alert,) = json.loads(capsys.readouterr().out)
    assert alert["rule"] == "low-human-fraction" and alert["status"] == "open"
    assert run(["risk-alerts", "--artifact", f"{ns}d"]) == 0
    assert "low-human-fraction" in capsys.readouterr().out
    assert run(["risk-alerts", "--status", "closed"]) == 1


def test_webhook_events_are_validated(store: Store) -> None:
    from provgraph.service.errors import InvalidInput

    with pytest.raises(InvalidInput, match="events"):
        register_webhook(store, "http://127.0.0.1:9/x", SECRET, events=["everything"])  # type: ignore[list-item]


def test_api_and_cli_register_webhooks_for_risk_events(
    store: Store,
    neo4j_settings: Settings,
    env_for_cli: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fastapi.testclient import TestClient

    from provgraph.service.api import create_app

    with TestClient(create_app(neo4j_settings, store=store)) as client:
        created = client.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/a", "secret": SECRET, "events": ["risk.opened"]},
        )
        assert created.status_code == 201 and created.json()["events"] == ["risk.opened"]
        default = client.post(
            "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/b", "secret": SECRET}
        )
        assert default.json()["events"] == ["conflict.opened"]
        bad = client.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/c", "secret": SECRET, "events": ["x"]},
        )
        assert bad.status_code == 422
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    args = ["webhooks", "add", "http://127.0.0.1:9/d", "--secret-env", "HOOK_SECRET"]
    assert run([*args, "--event", "risk.opened", "--event", "conflict.opened", "--json"]) == 0
    hook = json.loads(capsys.readouterr().out)
    assert hook["events"] == ["conflict.opened", "risk.opened"]
    for webhook_id in (created.json()["id"], default.json()["id"], hook["id"]):
        delete_webhook(store, webhook_id)


def test_past_max_affected_nothing_is_assessed_and_the_result_says_so(
    store: Store, ns: str
) -> None:
    ingest_lines(store, lines(ns, None), alerts=False)
    capped = refresh_risk_alerts(store, [f"{ns}h", f"{ns}g"], max_affected=2)  # g, d, h: three
    assert not capped.evaluated and capped.reason == "max_affected"
    assert capped.affected == 3 and capped.detail and "risk-alerts --scan" in capped.detail
    assert list_risk_alerts(store, artifact=f"{ns}d") == []
    assert not refresh_risk_alerts(store, [f"{ns}h", f"{ns}g", f"{ns}d"], max_affected=2).evaluated
    done = refresh_risk_alerts(store, [f"{ns}h", f"{ns}g"], max_affected=3)
    assert done.evaluated and done.affected == 3 and [a.node for a in done.opened] == [f"{ns}d"]


def test_a_write_too_large_to_check_says_so_and_a_scan_catches_up(
    store: Store,
    ns: str,
    env_for_cli: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # More artifacts than max_affected in one write, each with a field the risk figures read:
    # neither check runs, and both say so.
    padding = [
        json.dumps({"node": "source", "id": f"{ns}s{i:04}", "human": True})
        for i in range(DEFAULT_MAX_AFFECTED)
    ]
    path = tmp_path / "large.ndjson"
    path.write_text("\n".join([*lines(ns, None), *padding]) + "\n", encoding="utf-8")
    assert run(["ingest", str(path)]) == 0
    err = capsys.readouterr().err
    assert "conflicts not re-checked" in err and "risk not re-assessed" in err
    assert "risk-alerts --scan" in err
    assert list_risk_alerts(store, artifact=f"{ns}d") == []

    assert run(["ingest", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["alerts"]
    assert (summary["evaluated"], summary["risk_evaluated"]) == (False, False)
    assert summary["risk_reason"] == "max_affected"

    assert run(["risk-alerts", "--scan", "--prefix", ns, "--artifact", f"{ns}d", "--json"]) == 0
    (alert,) = json.loads(capsys.readouterr().out)
    assert (alert["node"], alert["rule"], alert["status"]) == (
        f"{ns}d",
        "low-human-fraction",
        "open",
    )
    assert run(["risk-alerts", "--scan", "--prefix", ns]) == 0  # again: nothing new opens
    assert "0 opened" in capsys.readouterr().err
