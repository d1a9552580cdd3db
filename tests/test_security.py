"""API tokens and scopes against a real Neo4j: every route in the OpenAPI schema answers
401 without a valid token and 403 with too small a scope; token values, webhook secrets and
the Neo4j password never reach logs, errors or --json output; the audit trail names the
token and SDK run of each write."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import cli_runner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from provgraph.cli.main import run
from provgraph.service.api import create_app
from provgraph.service.security import (
    PUBLIC_PATHS,
    CreatedToken,
    Scope,
    create_token,
    grants,
    list_tokens,
    required_scope,
    revoke_token,
    verify_token,
)
from provgraph.service.security.redact import install_log_redaction, redact
from provgraph.service.settings import Settings
from provgraph.service.store import Store

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
NDJSON = {"content-type": "application/x-ndjson"}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


@pytest.fixture(scope="module")
def tokens(store: Store) -> dict[Scope, CreatedToken]:
    return {scope: create_token(store, f"test-{scope.value}", [scope]) for scope in Scope}


@pytest.fixture(scope="module")
def app(neo4j_settings: Settings, store: Store) -> FastAPI:
    return create_app(neo4j_settings, store=store, auth=True)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: CreatedToken | str) -> dict[str, str]:
    value = token if isinstance(token, str) else token.token
    return {"authorization": f"Bearer {value}"}


def call(
    client: TestClient, method: str, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """One request to an OpenAPI operation with an empty JSON body for writes."""
    body = None if method in ("get", "delete") else {}
    return client.request(method.upper(), path, json=body, headers=headers)


def concrete(path: str, ns: str) -> str:
    """An OpenAPI path with its parameters filled in (ids under the test's namespace)."""
    return re.sub(r"\{[^}]+\}", lambda _: quote(f"{ns}x", safe=":"), path)


def openapi_operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of an OpenAPI schema."""
    return [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in {"get", "put", "post", "delete", "patch"}
    ]


# ------------------------------------------------------------------ every route, 401/403


def test_every_operation_declares_its_scope_and_the_guard_responses(app: FastAPI) -> None:
    operations = openapi_operations(app.openapi())
    assert len(operations) >= 15  # the schema is really enumerated
    for method, path, operation in operations:
        if path in PUBLIC_PATHS:
            assert "x-required-scope" not in operation
            continue
        assert operation["x-required-scope"] in {s.value for s in Scope}, (method, path)
        assert operation["security"] == [{"bearer": []}]
        assert {"401", "403", "413"} <= set(operation["responses"]), (method, path)


def test_every_route_refuses_a_missing_or_bad_token_with_401(
    client: TestClient, app: FastAPI, ns: str, tokens: dict[Scope, CreatedToken]
) -> None:
    revoked = create_token(client.app.state.stores.get(), "test-revoked", [Scope.ADMIN])
    revoke_token(client.app.state.stores.get(), revoked.id)
    bad = [
        None,
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer"},
        bearer("not-a-token"),
        bearer(tokens[Scope.ADMIN].token[:-2] + "xx"),  # right id, wrong secret
        bearer(revoked),
    ]
    checked = 0
    for method, path, _ in openapi_operations(app.openapi()):
        if path in PUBLIC_PATHS:
            continue
        for headers in bad:
            response = call(client, method, concrete(path, ns), headers)
            body = problem(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "token" in body["detail"]
            checked += 1
    assert checked >= 15 * len(bad)


def test_every_route_refuses_too_small_a_scope_with_403_and_admits_enough(
    client: TestClient, app: FastAPI, ns: str, tokens: dict[Scope, CreatedToken]
) -> None:
    seen: set[str] = set()
    for method, path, operation in openapi_operations(app.openapi()):
        if path in PUBLIC_PATHS:
            continue
        needed = Scope(operation["x-required-scope"])
        seen.add(needed.value)
        for scope, token in tokens.items():
            response = call(client, method, concrete(path, ns), bearer(token))
            if grants([scope], needed):
                assert response.status_code not in (401, 403), (method, path, response.text)
            else:
                assert response.status_code == 403, (method, path, scope, response.text)
                body = problem(response, 403)
                assert body["required_scope"] == needed.value
                assert token.token not in response.text
    assert seen == {"read", "write", "admin"}


def test_probes_and_docs_are_public(client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path


def test_unknown_routes_need_a_token_too(
    client: TestClient, tokens: dict[Scope, CreatedToken]
) -> None:
    problem(client.get("/no/such/route"), 401)
    problem(client.get("/no/such/route", headers=bearer(tokens[Scope.READ])), 404)


def test_scope_policy_maps_methods_and_routes() -> None:
    assert required_scope("GET", "/healthz") is None
    assert required_scope("GET", f"{API}/artifacts/{{artifact_id}}") is Scope.READ
    assert required_scope("PUT", f"{API}/artifacts/{{artifact_id}}") is Scope.WRITE
    assert required_scope("POST", f"{API}/use-check") is Scope.READ
    assert required_scope("GET", f"{API}/webhooks") is Scope.ADMIN
    # A route another module adds later falls under the same rule, with no edit here.
    assert required_scope("POST", f"{API}/checks") is Scope.WRITE
    assert required_scope("GET", f"{API}/artifacts/a/b/risk") is Scope.READ
    assert grants([Scope.ADMIN], Scope.WRITE) and not grants([Scope.READ], Scope.WRITE)


def test_a_route_added_after_the_app_is_built_is_guarded(
    neo4j_settings: Settings, store: Store, tokens: dict[Scope, CreatedToken]
) -> None:
    app = create_app(neo4j_settings, store=store, auth=True)

    @app.post(f"{API}/late-addition")
    def late() -> dict[str, str]:
        return {"ok": "yes"}

    with TestClient(app) as late_client:
        problem(late_client.post(f"{API}/late-addition"), 401)
        problem(late_client.post(f"{API}/late-addition", headers=bearer(tokens[Scope.READ])), 403)
        ok = late_client.post(f"{API}/late-addition", headers=bearer(tokens[Scope.WRITE]))
        assert ok.json() == {"ok": "yes"}


def test_auth_off_admits_everyone(neo4j_settings: Settings, store: Store) -> None:
    with TestClient(create_app(neo4j_settings, store=store)) as open_client:
        assert open_client.app.state.auth is False
        assert open_client.get(f"{API}/stats").status_code == 200
        assert (
            "security"
            not in open_client.get("/openapi.json").json()["paths"][f"{API}/stats"]["get"]
        )


# ------------------------------------------------------------------ tokens


def test_tokens_are_stored_only_as_salted_hashes(store: Store) -> None:
    one = create_token(store, "hash-check", [Scope.WRITE])
    two = create_token(store, "hash-check", [Scope.WRITE])
    assert one.token != two.token and one.token.startswith("pgt_")
    secret = one.token.removeprefix(f"pgt_{one.id}_")
    assert len(secret) >= 43  # 256 random bits
    rows = store.query("token_secret", id=one.id)
    other = store.query("token_secret", id=two.id)
    stored = json.dumps(rows, default=str) + json.dumps(other, default=str)
    assert secret not in stored and one.token not in stored
    assert rows[0]["salt"] != other[0]["salt"]
    assert verify_token(store, one.token) is not None
    assert verify_token(store, one.token + "x") is None


def test_revoked_token_is_refused_by_a_running_api(
    client: TestClient, app: FastAPI, store: Store
) -> None:
    token = create_token(store, "soon-revoked", [Scope.READ])
    app.state.tokens.ttl = 0.0  # no cache: revocation shows at once
    try:
        assert client.get(f"{API}/stats", headers=bearer(token)).status_code == 200
        revoke_token(store, token.id)
        problem(client.get(f"{API}/stats", headers=bearer(token)), 401)
    finally:
        app.state.tokens.ttl = 5.0
    assert token.id not in {t.id for t in list_tokens(store)}
    assert token.id in {t.id for t in list_tokens(store, include_revoked=True)}


@pytest.fixture()
def cli(
    env_for_cli: Settings, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    return cli_runner(capsys)


def test_token_cli_create_list_revoke(
    cli: Callable[..., tuple[int, str, str]], store: Store
) -> None:
    code, out, _ = cli("token", "create", "--name", "cli-made", "--scope", "write", "--json")
    assert code == 0, out
    created = json.loads(out)
    value = created["token"]
    assert created["scopes"] == ["write"] and verify_token(store, value) is not None
    code, out, _ = cli("token", "list", "--json")
    assert code == 0
    listed = {t["id"]: t for t in json.loads(out)}
    assert created["id"] in listed and value not in out
    assert set(listed[created["id"]]) == {"id", "name", "scopes", "created_at", "revoked_at"}
    code, out, _ = cli("token", "revoke", created["id"])
    assert code == 0 and created["id"] in out
    assert verify_token(store, value) is None
    assert cli("token", "revoke", "0000000000000000")[0] == 1
    code, out, err = cli("token", "create", "--name", "plain")
    assert code == 0 and out.strip().startswith("pgt_") and "not shown again" in err
    assert cli("token", "create", "--name", "x", "--scope", "root")[0] == 2


# ------------------------------------------------------------------ secrets stay secret


def test_token_values_never_reach_the_logs(
    client: TestClient, tokens: dict[Scope, CreatedToken], caplog: pytest.LogCaptureFixture, ns: str
) -> None:
    with caplog.at_level(logging.DEBUG):
        client.get(f"{API}/stats", headers=bearer(tokens[Scope.READ]))
        client.put(
            f"{API}/artifacts/{ns}d", json={"node": "dataset"}, headers=bearer(tokens[Scope.WRITE])
        )
        client.get(f"{API}/webhooks", headers=bearer(tokens[Scope.WRITE]))
        client.get(f"{API}/stats", headers=bearer(tokens[Scope.READ].token + "tampered"))
    assert caplog.records  # the driver and the app did log at DEBUG
    for token in tokens.values():
        assert token.token not in caplog.text


def test_log_redaction_masks_tokens_uri_passwords_and_configured_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    value = "pgt_0123456789abcdef_" + "A" * 43
    assert value not in redact(f"header Authorization: Bearer {value}")
    assert "s3cret" not in redact("neo4j://neo4j:s3cret@db:7687")
    assert "hunter2" not in redact("x hunter2 y", ("hunter2",))
    previous = logging.getLogRecordFactory()
    try:
        install_log_redaction(Settings(neo4j_password="hunter2-password"))
        with caplog.at_level(logging.INFO):
            logging.getLogger("uvicorn.error").info("conn %s pw %s", value, "hunter2-password")
    finally:
        logging.setLogRecordFactory(previous)
    assert value not in caplog.text and "hunter2-password" not in caplog.text
    assert "pgt_0123456789abcdef_***" in caplog.text


def test_webhook_secret_never_appears_in_responses_logs_or_json(
    client: TestClient,
    tokens: dict[Scope, CreatedToken],
    cli: Callable[..., tuple[int, str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "webhook-secret-" + "q" * 24
    admin = bearer(tokens[Scope.ADMIN])
    with caplog.at_level(logging.DEBUG):
        made = client.post(
            f"{API}/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "secret": secret},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        bad = client.post(
            f"{API}/webhooks", json={"url": "ftp://x", "secret": secret}, headers=admin
        )
        listed = client.get(f"{API}/webhooks", headers=admin)
    code, out, err = cli("webhooks", "list", "--json")
    assert code == 0
    for text in (made.text, bad.text, listed.text, caplog.text, out, err):
        assert secret not in text
    client.delete(f"{API}/webhooks/{made.json()['id']}", headers=admin)


def test_neo4j_password_never_appears_in_errors_or_json(
    cli: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import socket

    password = "neo4j-password-xyzzy"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        for uri in (f"neo4j://127.0.0.1:{port}", f"neo4j://neo4j:{password}@127.0.0.1:{port}"):
            monkeypatch.setenv("NEO4J_URI", uri)
            monkeypatch.setenv("NEO4J_PASSWORD", password)
            with caplog.at_level(logging.DEBUG):
                code, out, err = cli("stats", "--json")
            assert code == 3, err
            assert password not in out + err + caplog.text
            settings = Settings.from_env()
            assert password not in repr(settings)
            app = create_app(settings, auth=False)
            with TestClient(app, raise_server_exceptions=False) as dead:
                response = dead.get(f"{API}/stats")
            problem(response, 503)
            assert password not in response.text


# ------------------------------------------------------------------ audit trail


def test_audit_trail_names_the_token_run_and_cli_user_of_each_write(
    client: TestClient,
    tokens: dict[Scope, CreatedToken],
    cli: Callable[..., tuple[int, str, str]],
    tmp_path: Any,
    ns: str,
) -> None:
    writer = tokens[Scope.WRITE]
    lines = [
        {"node": "dataset", "id": f"{ns}child"},
        {"node": "source", "id": f"{ns}src", "human": True},
        {"edge": "DERIVED_FROM", "from": f"{ns}child", "to": f"{ns}src"},
    ]
    body = "".join(json.dumps(x) + "\n" for x in lines)
    headers = {**bearer(writer), **NDJSON, "x-provgraph-run": "run-42"}
    assert client.post(f"{API}/ingest", content=body, headers=headers).status_code == 200
    path = tmp_path / "update.ndjson"
    path.write_text(json.dumps({"node": "dataset", "id": f"{ns}child", "name": "renamed"}) + "\n")
    assert cli("ingest", str(path))[0] == 0

    trail = client.get(f"{API}/artifacts/{ns}child/audit", headers=bearer(tokens[Scope.READ]))
    assert trail.status_code == 200, trail.text
    events = trail.json()["events"]
    assert [e["via"] for e in events] == ["cli", "sdk"]  # newest first
    cli_event, sdk_event = events
    assert sdk_event["token_id"] == writer.id and sdk_event["actor"] == writer.name
    assert sdk_event["run"] == "run-42" and sdk_event["source"] == "request body"
    assert cli_event["token_id"] is None and "@" in cli_event["actor"]
    assert cli_event["source"] == str(path)
    # The parent was written by the first ingest only; its own trail says so.
    code, out, _ = cli("audit", f"{ns}src", "--json")
    assert code == 0
    assert [e["id"] for e in json.loads(out)["events"]] == [sdk_event["id"]]
    problem(client.get(f"{API}/artifacts/{ns}nope/audit", headers=bearer(writer)), 404)
    assert cli("audit", f"{ns}nope")[0] == 1


def test_audit_records_do_not_count_as_graph_changes(
    client: TestClient, tokens: dict[Scope, CreatedToken], ns: str
) -> None:
    record = {"node": "dataset", "name": "same"}
    first = client.put(f"{API}/artifacts/{ns}d", json=record, headers=bearer(tokens[Scope.WRITE]))
    assert first.status_code == 201
    stats = client.get(f"{API}/stats", headers=bearer(tokens[Scope.READ])).json()
    again = client.post(
        f"{API}/ingest",
        content=json.dumps({**record, "id": f"{ns}d"}) + "\n",
        headers={**bearer(tokens[Scope.WRITE]), **NDJSON},
    ).json()
    assert (again["nodes_created"], again["relationships_created"]) == (0, 0)
    assert client.get(f"{API}/stats", headers=bearer(tokens[Scope.READ])).json() == stats


def test_a_token_cannot_be_checked_while_neo4j_is_down_503_not_401() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = Settings(neo4j_uri=f"neo4j://127.0.0.1:{sock.getsockname()[1]}")
        with TestClient(create_app(dead, auth=True), raise_server_exceptions=False) as client:
            problem(client.get(f"{API}/stats"), 401)  # no token: no need to ask Neo4j
            response = client.get(
                f"{API}/stats", headers=bearer("pgt_" + "0" * 16 + "_" + "a" * 43)
            )
            body = problem(response, 503)
            assert int(response.headers["retry-after"]) > 0 and "unreachable" in body["detail"]


def test_auth_default_is_on_beyond_loopback_and_flags_win(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from provgraph.service.security import auth_required

    assert auth_required("auto", host="0.0.0.0") and auth_required("auto", host="10.1.2.3")
    assert not auth_required("auto", host="127.0.0.1") and not auth_required("auto", host="::1")
    assert auth_required("on", host="127.0.0.1") and not auth_required("off", host="0.0.0.0")
    assert not auth_required("on", host="0.0.0.0", flag=False)

    import uvicorn

    served: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    monkeypatch.setenv("NEO4J_URI", "neo4j://127.0.0.1:1")
    monkeypatch.delenv("PROVGRAPH_AUTH", raising=False)
    previous = logging.getLogRecordFactory()
    try:
        assert run(["serve", "--host", "0.0.0.0"]) == 0
        assert run(["serve"]) == 0
        assert run(["serve", "--host", "0.0.0.0", "--no-auth"]) == 0
    finally:
        logging.setLogRecordFactory(previous)
    assert [app.state.auth for app in served] == [True, False, False]
    assert "authentication OFF" in capsys.readouterr().err
