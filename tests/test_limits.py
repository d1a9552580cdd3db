"""Input limits and injection: 413 for oversized bodies and NDJSON lines, id rules, capped
results reported as truncation, query timeouts as a clear 504, and injection strings fed
into every string field leave the rest of the graph exactly as it was."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, get_args
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from provgraph.service import lineage
from provgraph.service.api import create_app
from provgraph.service.artifacts import get_artifact
from provgraph.service.backup import census
from provgraph.service.errors import QueryTimeout
from provgraph.service.ingest import ingest_lines
from provgraph.service.models import MAX_ID_LENGTH, EdgeRecord, NodeRecord
from provgraph.service.ndjson import MAX_LINE_BYTES
from provgraph.service.settings import Settings
from provgraph.service.store import Store

API = "/api/v1"
NDJSON = {"content-type": "application/x-ndjson"}
PROBLEM_JSON = "application/problem+json"

INJECTIONS = [
    "' OR 1=1 //",
    "x'}) MATCH (n) DETACH DELETE n //",
    '") MATCH (n) DETACH DELETE n RETURN 1 //',
    "`) SET n:Admin //",
    "x' WITH 1 AS a CALL db.clearQueryCaches() //",
    "}) CREATE (:Injected {pwned: true}) //",
    "$id",
    "{id}",
    "/*max_depth*/",
    "*1..99999",
    "\\u0027; DROP CONSTRAINT artifact_id",
    "%s%s%n",
    "{{7*7}} ${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "🦜 ünïcödé ‮ rtl",
]


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body


@pytest.fixture(scope="module")
def client(neo4j_settings: Settings, store: Store) -> Iterator[TestClient]:
    settings = Settings(**{**neo4j_settings.__dict__, "max_body_bytes": 64 * 1024})
    with TestClient(create_app(settings, store=store)) as test_client:
        yield test_client


def url(artifact_id: str, suffix: str = "") -> str:
    return f"{API}/artifacts/{quote(artifact_id, safe='')}{suffix}"


# ------------------------------------------------------------------ size limits


def test_json_body_over_the_limit_is_413_before_the_route_runs(client: TestClient, ns: str) -> None:
    big = {"node": "dataset", "name": "x" * (70 * 1024)}
    body = problem(client.put(url(f"{ns}big"), json=big), 413)
    assert "65,536" in body["detail"]
    problem(client.get(url(f"{ns}big")), 404)  # nothing written


def test_streamed_body_over_the_limit_is_413(client: TestClient, ns: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"node": "dataset", "name": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    response = client.put(
        url(f"{ns}streamed"), content=chunks(), headers={"content-type": "application/json"}
    )
    problem(response, 413)
    problem(client.get(url(f"{ns}streamed")), 404)


def test_ndjson_line_over_the_limit_is_413_and_writes_nothing(client: TestClient, ns: str) -> None:
    ok = json.dumps({"node": "dataset", "id": f"{ns}ok"})
    long = json.dumps({"node": "dataset", "id": f"{ns}long", "name": "z" * MAX_LINE_BYTES})
    response = client.post(f"{API}/ingest", content=f"{ok}\n{long}\n", headers=NDJSON)
    body = problem(response, 413)
    assert body["errors"][0]["line"] == 2
    problem(client.get(url(f"{ns}ok")), 404)
    skipped = client.post(
        f"{API}/ingest", content=f"{ok}\n{long}\n", headers=NDJSON, params={"skip_invalid": True}
    )
    assert skipped.status_code == 200 and skipped.json()["skipped"][0]["line"] == 2
    assert client.get(url(f"{ns}ok")).status_code == 200


# ------------------------------------------------------------------ ids


@pytest.mark.parametrize(
    "bad_id",
    ["", " padded", "padded ", "tab\there", "nul\x00", "x" * (MAX_ID_LENGTH + 1), "lone\ud800"],
)
def test_ids_breaking_the_rules_are_422(client: TestClient, bad_id: str) -> None:
    line = json.dumps({"node": "dataset", "id": bad_id})
    body = problem(client.post(f"{API}/ingest", content=line + "\n", headers=NDJSON), 422)
    assert body["errors"][0]["line"] == 1


def test_unpaired_surrogates_anywhere_are_422_not_500(client: TestClient, ns: str) -> None:
    raw = '{"node": "dataset", "id": "' + ns + 'ok", "name": "bad \\ud800 text"}'
    problem(client.post(f"{API}/ingest", content=raw + "\n", headers=NDJSON), 422)
    body = '{"node": "dataset", "attrs": {"k\\udfff": 1}}'
    problem(
        client.put(url(f"{ns}a"), content=body, headers={"content-type": "application/json"}), 422
    )
    check = '{"artifact": "x\\ud800", "intended_use": "research", "distribution": "none"}'
    response = client.post(
        f"{API}/use-check", content=check, headers={"content-type": "application/json"}
    )
    assert response.status_code in (404, 422), response.text
    problem(client.get(url(f"{ns}ok")), 404)


# ------------------------------------------------------------------ caps and timeouts


def chain(ns: str, length: int) -> list[str]:
    lines = [json.dumps({"node": "dataset", "id": f"{ns}{i}"}) for i in range(length)]
    lines += [
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}{i + 1}", "to": f"{ns}{i}"})
        for i in range(length - 1)
    ]
    return lines


def test_depth_and_result_caps_are_reported_as_truncation(
    client: TestClient, store: Store, ns: str
) -> None:
    ingest_lines(store, chain(ns, 60), alerts=False)
    capped = client.get(url(f"{ns}59", "/lineage"), params={"limit": 10}).json()
    assert (len(capped["nodes"]), capped["complete"], capped["truncated_reason"]) == (
        10,
        False,
        "limit",
    )
    assert capped["total"] == 59 and capped["next_cursor"]
    shallow = client.get(url(f"{ns}59", "/lineage"), params={"max_depth": 5}).json()
    assert (len(shallow["nodes"]), shallow["complete"], shallow["truncated_reason"]) == (
        5,
        False,
        "max_depth",
    )
    assert problem(client.get(url(f"{ns}59", "/lineage"), params={"limit": 0}), 422)


def test_limits_past_the_caps_are_clamped_and_reported_as_truncation(
    client: TestClient, store: Store, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_lines(store, chain(ns, 60), alerts=False)
    monkeypatch.setattr(lineage, "MAX_LIMIT", 10)
    monkeypatch.setattr(lineage, "MAX_DEPTH", 3)
    page = client.get(url(f"{ns}59", "/lineage"), params={"limit": 50}).json()
    assert (len(page["nodes"]), page["complete"], page["truncated_reason"]) == (10, False, "limit")
    assert page["total"] == 59 and page["next_cursor"]
    deep = client.get(url(f"{ns}59", "/lineage"), params={"max_depth": 1000}).json()
    assert (len(deep["nodes"]), deep["truncated_reason"]) == (3, "max_depth")


def test_a_query_past_its_time_limit_is_a_clear_504(
    neo4j_settings: Settings, store: Store, ns: str
) -> None:
    ingest_lines(store, chain(ns, 3000), alerts=False)
    slow = Settings(**{**neo4j_settings.__dict__, "query_timeout_s": 0.001})
    # Neo4j ends a transaction past its timeout when its monitor next looks (every 0.1 s
    # on the managed server, every 2 s by default on others), so a quick run can get
    # through: ask again until one is stopped, for up to a minute each way (no timing
    # asserted).
    deadline = time.monotonic() + 60
    with Store.connect(slow) as hurried:
        with pytest.raises(QueryTimeout, match="PROVGRAPH_QUERY_TIMEOUT"):
            while time.monotonic() < deadline:
                lineage.subgraph(hurried, f"{ns}1500", limit=lineage.MAX_LIMIT)
        deadline = time.monotonic() + 60  # the API's own minute, whatever the first took
        with TestClient(create_app(slow, store=hurried), raise_server_exceptions=False) as c:
            while True:
                response = c.get(url(f"{ns}1500", "/subgraph"), params={"limit": lineage.MAX_LIMIT})
                if response.status_code != 200 or time.monotonic() > deadline:
                    break
    body = problem(response, 504)
    assert "PROVGRAPH_QUERY_TIMEOUT" in body["detail"] and body["title"] == "Query timed out"


# ------------------------------------------------------------------ injection


def string_fields(model: type[NodeRecord] | type[EdgeRecord]) -> list[str]:
    """Every field of a record model that holds free text (str or list of str)."""
    found = []
    for name, info in model.model_fields.items():
        args = {a for a in get_args(info.annotation)} | {info.annotation}
        if str in args or any(get_args(a) == (str,) for a in args):
            found.append(info.alias or name)
    return found


def node_with(ns: str, n: int, field: str, value: str) -> dict[str, Any] | None:
    """A node record (of a kind that has ``field``) whose ``field`` is ``value``."""
    for kind in ("dataset", "model", "source"):
        record: dict[str, Any] = {"node": kind, "id": f"{ns}n{n}"}
        record[field] = [value] if field in ("competes_with", "notices") else value
        if field == "id":
            record["id"] = f"{ns}{value}"
        try:
            NodeRecord.model_validate(record)
        except ValueError:
            continue
        return record
    return None


EDGE_FIELDS = {
    "transform": "DERIVED_FROM",
    "prompt_template": "GENERATED_BY",
    "split": "TRAINED_ON",
    "run": "DERIVED_FROM",
}


def test_injection_strings_in_every_string_field_change_nothing_else(
    client: TestClient, store: Store, ns: str
) -> None:
    node_fields = string_fields(NodeRecord)
    edge_fields = string_fields(EdgeRecord)
    assert {"id", "name", "vendor", "uri", "license"} <= set(node_fields)
    assert {"from", "to", "run", "transform"} <= set(edge_fields)
    before = census(store, exclude_prefix=ns, with_audit=False)

    expected: dict[str, dict[str, Any]] = {}
    edge_values: dict[tuple[str, str], str] = {}
    n = 0
    for value in INJECTIONS:
        lines: list[dict[str, Any]] = []
        for field in node_fields:
            record = node_with(ns, n, field, value)
            n += 1
            if field == "license":
                # Not a license expression: refused, with the reason, writing nothing.
                bad = {"node": "dataset", "id": f"{ns}lic{n}", "license": value}
                problem(client.put(url(bad["id"]), json=bad), 422)
                continue
            assert record is not None, field
            lines.append(record)
            expected[record["id"]] = record
        attrs = {"node": "dataset", "id": f"{ns}attrs{n}", "attrs": {value: value, "k": [value]}}
        lines.append(attrs)
        expected[attrs["id"]] = attrs
        parent = {"node": "dataset", "id": f"{ns}p{n}"}
        model = {"node": "model", "id": f"{ns}m{n}"}
        lines += [parent, model]
        for field, kind in EDGE_FIELDS.items():
            child = {
                "node": "model" if kind == "TRAINED_ON" else "dataset",
                "id": f"{ns}c{field}{n}",
            }
            target = model if kind == "GENERATED_BY" else parent
            lines += [child, {"edge": kind, "from": child["id"], "to": target["id"], field: value}]
            edge_values[(child["id"], field)] = value
        waiver = {
            "license": value,
            "clause": value,
            "granted_by": value,
            "date": "2024-01-01",
            "note": value,
        }
        lines.append(
            {"edge": "DERIVED_FROM", "from": f"{ns}p{n}", "to": f"{ns}{value}", "waivers": [waiver]}
        )
        body = "".join(json.dumps(line) + "\n" for line in lines)
        response = client.post(f"{API}/ingest", content=body, headers=NDJSON)
        assert response.status_code == 200, response.text

        # Reads and query parameters carrying the string: clear answers, never a 500.
        for path, params in [
            (url(value), {}),
            (url(f"{ns}p{n}", "/lineage"), {"cursor": value}),
            (url(f"{ns}p{n}", "/lineage"), {"edge_kinds": value}),
            (url(f"{ns}p{n}", "/path"), {"to": value}),
            (url(f"{ns}p{n}", "/licenses"), {"as_of": value}),
            (f"{API}/alerts", {"artifact": value}),
            (url(value, "/audit"), {}),
        ]:
            answer = client.get(path, params=params)
            assert answer.status_code in (200, 404, 422), (path, params, answer.text)
        hook = client.post(f"{API}/webhooks", json={"url": value, "secret": value * 4})
        assert hook.status_code == 422, hook.text

    # Every value round-trips exactly as text: nothing was interpreted.
    for artifact_id, record in expected.items():
        stored = get_artifact(store, artifact_id).model_dump(by_alias=True)
        for field, value in record.items():
            if field == "node":
                continue
            if field == "attrs":
                attrs = stored["attrs"]
                assert (json.loads(attrs) if isinstance(attrs, str) else attrs) == value
            else:
                assert stored[field] == value, (artifact_id, field)
    for (child, field), value in edge_values.items():
        edges = client.get(url(child, "/lineage")).json()["edges"]
        assert [e[field] for e in edges if e["from"] == child] == [value], (child, field)

    after = census(store, exclude_prefix=ns, with_audit=False)
    assert (after.nodes, after.relationships) == (before.nodes, before.relationships)
    # Labels and types in use may only gain the ones these records legitimately create.
    assert set(after.labels) - set(before.labels) <= {"Dataset", "Model", "Source", "Conflict"}
    assert set(after.types) - set(before.types) <= {
        "DERIVED_FROM",
        "GENERATED_BY",
        "TRAINED_ON",
        "CONCERNS",
        "WROTE",
    }
