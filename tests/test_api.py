"""The HTTP API against a real Neo4j: health, RFC 9457 problems, writes, ingest and lineage.

Lineage answers are compared with an independent in-memory BFS over the NDJSON file
(``lineage_oracle``). Exhaustive comparisons run on a copy of the example graph loaded under
a private id prefix, so other data in a shared database cannot change the expected answers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from lineage_oracle import (
    DOWNSTREAM,
    UPSTREAM,
    LineageGraph,
    edge_set,
    example_copy,
    prefix_ids,
)

from provgraph.service.api import create_app
from provgraph.service.ingest import ingest_lines
from provgraph.service.settings import Settings
from provgraph.service.store import Store

API = "/api/v1"
NDJSON = {"content-type": "application/x-ndjson"}
PROBLEM_JSON = "application/problem+json"


# ---------------------------------------------------------------- helpers and fixtures


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem document with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON
    body = response.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body, f"problem document lacks {member!r}: {body}"
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def url(artifact_id: str, suffix: str = "") -> str:
    return f"{API}/artifacts/{quote(artifact_id, safe=':/')}{suffix}"


def ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [n["id"] for n in nodes]


def post_ndjson(client: TestClient, lines: list[str], **params: Any) -> httpx.Response:
    body = ("\n".join(lines) + "\n").encode()
    return client.post(f"{API}/ingest", content=body, headers=NDJSON, params=params)


@pytest.fixture(scope="module")
def client(neo4j_settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings, store=store)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def copy(store: Store, example_file: Path) -> tuple[str, LineageGraph]:
    """The example graph under a private prefix (loaded once per process), compared exactly."""

    def load(lines: list[str]) -> None:
        report = ingest_lines(store, lines, source="example copy")
        assert report.nodes_created == report.nodes > 50

    return example_copy(example_file, load)


@pytest.fixture(scope="module")
def copy_prefix(copy: tuple[str, LineageGraph]) -> str:
    return copy[0]


@pytest.fixture(scope="module")
def copy_graph(copy: tuple[str, LineageGraph]) -> LineageGraph:
    return copy[1]


@pytest.fixture(scope="module")
def example_graph(example_loaded: Path) -> LineageGraph:
    return LineageGraph.from_ndjson(example_loaded)


@pytest.fixture()
def dead_uri() -> Iterator[str]:
    """A loopback port that is bound but never listens: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"neo4j://127.0.0.1:{sock.getsockname()[1]}"


def lineage(client: TestClient, artifact_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(url(artifact_id, "/lineage"), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def make_nodes(client: TestClient, ns: str, spec: dict[str, str]) -> None:
    """PUT each ``name: kind`` under ``ns``."""
    for name, kind in spec.items():
        response = client.put(url(ns + name), json={"node": kind, "name": name})
        assert response.status_code == 201, response.text


def add_edge(
    client: TestClient, ns: str, frm: str, to: str, kind: str = "DERIVED_FROM", **props: Any
) -> httpx.Response:
    return client.post(
        f"{API}/edges", json={"edge": kind, "from": ns + frm, "to": ns + to, **props}
    )


# ---------------------------------------------------------------- health


def test_healthz_is_ok_without_touching_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_is_ready_with_neo4j_up(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


@pytest.mark.parametrize("path", ["/readyz", f"{API}/artifacts/x", f"{API}/stats"])
def test_dead_database_gives_503_problem_with_retry_after_quickly(dead_uri: str, path: str) -> None:
    app = create_app(Settings(neo4j_uri=dead_uri))
    with TestClient(app, raise_server_exceptions=False) as dead:
        started = time.monotonic()
        response = dead.get(path)
        elapsed = time.monotonic() - started
        assert dead.get("/healthz").status_code == 200  # liveness does not depend on Neo4j
    body = problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    assert "unreachable" in body["detail"] or "unavailable" in body["detail"].lower()
    assert elapsed < 8, f"503 took {elapsed:.1f} s"


# ---------------------------------------------------------------- problem documents


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    body = problem(client.get("/no/such/route"), 404)
    assert body["type"] == "about:blank"
    problem(client.delete(url("anything")), 405)


@pytest.mark.parametrize("suffix", ["", "/lineage", "/subgraph", "/path?to=x"])
def test_unknown_artifact_is_404_problem(client: TestClient, ns: str, suffix: str) -> None:
    missing = f"{ns}does-not-exist"
    body = problem(client.get(url(missing, suffix)), 404)
    assert missing in body["detail"]
    assert body["type"].endswith("not-found")


def test_path_to_an_unknown_target_is_404_naming_it(client: TestClient, ns: str) -> None:
    make_nodes(client, ns, {"a": "dataset"})
    body = problem(client.get(url(ns + "a", "/path"), params={"to": ns + "ghost"}), 404)
    assert ns + "ghost" in body["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"max_depth": 0},
        {"max_depth": "deep"},
        {"direction": "sideways"},
        {"edge_kinds": "DERIVED_FROM,CITED_BY"},
        {"edge_kinds": ""},
        {"as_of": "last tuesday"},
        {"cursor": "not-a-cursor"},
    ],
)
def test_bad_lineage_query_params_are_422_problems(
    client: TestClient, ns: str, params: dict[str, Any]
) -> None:
    make_nodes(client, ns, {"a": "dataset"})
    problem(client.get(url(ns + "a", "/lineage"), params=params), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"node": "dataset", "colour": "blue"},
        {"node": "spreadsheet"},
        {"node": "model", "weights": "closed"},
        {"node": "dataset", "license": "MIT AND AND"},
        {"node": "dataset", "records": -1},
        {"node": "model", "human": True},
        {"name": "no kind"},
        {"edge": "DERIVED_FROM", "from": "a", "to": "b"},
    ],
)
def test_invalid_artifact_bodies_are_422_and_write_nothing(
    client: TestClient, ns: str, body: dict[str, Any]
) -> None:
    artifact_id = f"{ns}bad"
    problem(client.put(url(artifact_id), json=body), 422)
    problem(client.get(url(artifact_id)), 404)


def test_body_id_different_from_path_id_is_422(client: TestClient, ns: str) -> None:
    body = problem(client.put(url(f"{ns}a"), json={"node": "dataset", "id": f"{ns}b"}), 422)
    assert f"{ns}b" in body["detail"]
    problem(client.get(url(f"{ns}a")), 404)
    problem(client.get(url(f"{ns}b")), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"edge": "DERIVED_FROM", "from": "a", "to": "b", "colour": "blue"},
        {"edge": "CITED_BY", "from": "a", "to": "b"},
        {"edge": "DERIVED_FROM", "from": "a", "to": "a"},
        {"edge": "DERIVED_FROM", "from": "a"},
        {"edge": "FINE_TUNED_FROM", "from": "m", "to": "n", "method": "telepathy"},
        {"edge": "DERIVED_FROM", "from": "a", "to": "b", "method": "finetune"},
    ],
)
def test_invalid_edge_bodies_are_422(client: TestClient, ns: str, body: dict[str, Any]) -> None:
    prefixed = {k: (ns + v if k in ("from", "to") else v) for k, v in body.items()}
    problem(client.post(f"{API}/edges", json=prefixed), 422)


def test_one_title_per_problem_type(client: TestClient, ns: str) -> None:
    make_nodes(client, ns, {"a": "dataset"})
    from_request = problem(client.get(url(ns + "a", "/lineage"), params={"limit": 0}), 422)
    from_domain = problem(client.get(url(ns + "a", "/lineage"), params={"edge_kinds": "NOPE"}), 422)
    assert from_request["type"] == from_domain["type"]
    assert from_request["title"] == from_domain["title"]


# ---------------------------------------------------------------- artifacts and edges


def test_put_creates_then_updates_and_ids_may_hold_colons_and_slashes(
    client: TestClient, ns: str
) -> None:
    artifact_id = f"{ns}hf:org/name"
    first = client.put(
        url(artifact_id), json={"node": "dataset", "name": "Org name", "license": "MIT"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["id"] == artifact_id
    second = client.put(
        url(artifact_id), json={"node": "dataset", "id": artifact_id, "license": "Apache-2.0"}
    )
    assert second.status_code == 200, second.text

    got = client.get(url(artifact_id))
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == artifact_id
    assert body["kind"] == "dataset"
    assert body["name"] == "Org name"  # fields not given are kept
    assert body["licenses"] == ["Apache-2.0"]  # the replaced license is no longer declared
    assert lineage(client, artifact_id)["nodes"] == []


def test_put_update_with_a_new_license_is_200(client: TestClient, ns: str) -> None:
    first = client.put(url(f"{ns}a"), json={"node": "dataset", "license": "MIT"})
    assert first.status_code == 201, first.text
    new_license = f"LicenseRef-{ns.rstrip(':')}"
    update = client.put(url(f"{ns}a"), json={"node": "dataset", "license": new_license})
    assert update.json()["licenses"] == [new_license]
    assert update.status_code == 200


def test_put_cannot_change_an_artifacts_kind(client: TestClient, ns: str) -> None:
    make_nodes(client, ns, {"a": "dataset"})
    problem(client.put(url(ns + "a"), json={"node": "model"}), 422)
    assert client.get(url(ns + "a")).json()["kind"] == "dataset"


def test_ids_with_reserved_url_characters_round_trip(client: TestClient, ns: str) -> None:
    # (A literal "%XX" would be decoded twice by Starlette's TestClient, not by uvicorn.)
    artifact_id = f"{ns}odd id?v=1&x=100%#frag"
    created = client.put(url(artifact_id), json={"node": "source", "human": True})
    assert created.status_code == 201, created.text
    assert client.get(url(artifact_id)).json()["id"] == artifact_id


def test_post_edge_201_then_200_and_404_for_a_missing_end(client: TestClient, ns: str) -> None:
    make_nodes(client, ns, {"child": "dataset", "parent": "dataset"})
    assert add_edge(client, ns, "child", "parent", records=3).status_code == 201
    again = add_edge(client, ns, "child", "parent", records=3)
    assert again.status_code == 200, again.text
    assert again.json()["relationships_created"] == 0

    body = problem(add_edge(client, ns, "child", "ghost"), 404)
    assert body["artifact_id"] == ns + "ghost"
    body = problem(add_edge(client, ns, "ghost", "parent"), 404)
    assert body["artifact_id"] == ns + "ghost"
    assert edge_set(lineage(client, ns + "child")["edges"]) == {
        (ns + "child", ns + "parent", "DERIVED_FROM")
    }


@pytest.mark.parametrize(
    ("kind", "frm", "to"),
    [
        ("GENERATED_BY", "model", "data"),  # GENERATED_BY goes from a dataset to a model
        ("GENERATED_BY", "data", "source"),
        ("TRAINED_ON", "data", "other"),
        ("FINE_TUNED_FROM", "model", "data"),
        ("DERIVED_FROM", "data", "model"),
    ],
)
def test_edge_between_the_wrong_kinds_is_422(
    client: TestClient, ns: str, kind: str, frm: str, to: str
) -> None:
    make_nodes(
        client, ns, {"data": "dataset", "other": "dataset", "model": "model", "source": "source"}
    )
    problem(add_edge(client, ns, frm, to, kind), 422)
    assert lineage(client, ns + frm)["nodes"] == []


def test_edge_closing_a_cycle_is_409_with_the_cycle_path(client: TestClient, ns: str) -> None:
    make_nodes(client, ns, {"a": "dataset", "b": "dataset", "c": "dataset"})
    assert add_edge(client, ns, "a", "b").status_code == 201
    assert add_edge(client, ns, "b", "c").status_code == 201
    body = problem(add_edge(client, ns, "c", "a"), 409)
    assert body["cycle"] == [ns + "c", ns + "a", ns + "b", ns + "c"]
    assert ns + "c" not in ids(lineage(client, ns + "a", direction=DOWNSTREAM)["nodes"])
    assert ns + "a" not in ids(lineage(client, ns + "c")["nodes"])


def test_concurrent_opposite_edges_never_close_a_cycle(client: TestClient, ns: str) -> None:
    pairs = 12
    lines = [
        json.dumps({"node": "dataset", "id": f"{ns}{side}{i}"})
        for i in range(pairs)
        for side in "xy"
    ]
    assert post_ndjson(client, lines).status_code == 200
    barrier = threading.Barrier(2)

    def writer(flip: bool) -> None:
        for i in range(pairs):
            frm, to = (f"y{i}", f"x{i}") if flip else (f"x{i}", f"y{i}")
            barrier.wait(timeout=30)
            add_edge(client, ns, frm, to)

    threads = [threading.Thread(target=writer, args=(flip,)) for flip in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    cyclic = [i for i in range(pairs) if f"{ns}x{i}" in ids(lineage(client, f"{ns}x{i}")["nodes"])]
    assert cyclic == [], f"{len(cyclic)} of {pairs} pairs became cycles"


# ---------------------------------------------------------------- ingest


def test_ingest_is_all_or_nothing(client: TestClient, ns: str) -> None:
    lines = [
        json.dumps({"node": "dataset", "id": f"{ns}good", "name": "valid"}),
        json.dumps({"node": "dataset", "id": f"{ns}bad", "colour": "blue"}),
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}good", "to": f"{ns}missing"}),
    ]
    body = problem(post_ndjson(client, lines), 422)
    assert [e["line"] for e in body["errors"]] == [2, 3]
    assert "colour" in body["errors"][0]["reason"]
    problem(client.get(url(f"{ns}good")), 404)
    problem(client.get(url(f"{ns}bad")), 404)


def test_ingest_skip_invalid_loads_the_valid_lines_and_reports_the_rest(
    client: TestClient, ns: str
) -> None:
    lines = [
        json.dumps({"node": "dataset", "id": f"{ns}good", "name": "valid"}),
        "{not json",
        json.dumps({"node": "source", "id": f"{ns}src", "human": True}),
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}good", "to": f"{ns}src", "records": 1}),
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}good", "to": f"{ns}missing"}),
    ]
    response = post_ndjson(client, lines, skip_invalid="true")
    assert response.status_code == 200, response.text
    report = response.json()
    assert [s["line"] for s in report["skipped"]] == [2, 5]
    assert all(s["reason"] for s in report["skipped"])
    assert (
        report["nodes"],
        report["edges"],
        report["nodes_created"],
        report["relationships_created"],
    ) == (2, 1, 2, 1)
    assert client.get(url(f"{ns}good")).status_code == 200
    assert edge_set(lineage(client, f"{ns}good")["edges"]) == {
        (f"{ns}good", f"{ns}src", "DERIVED_FROM")
    }
    problem(client.get(url(f"{ns}missing")), 404)


def test_reposting_the_same_body_changes_nothing(client: TestClient, ns: str) -> None:
    lines = [
        json.dumps(
            {"node": "dataset", "id": f"{ns}d", "name": "D", "license": "MIT OR Apache-2.0"}
        ),
        json.dumps(
            {"node": "model", "id": f"{ns}m", "model_type": "llm", "license": "LicenseRef-x"}
        ),
        json.dumps({"node": "source", "id": f"{ns}s", "human": True}),
        json.dumps({"edge": "GENERATED_BY", "from": f"{ns}d", "to": f"{ns}m", "records": 5}),
        json.dumps(
            {"edge": "DERIVED_FROM", "from": f"{ns}d", "to": f"{ns}s", "valid_from": "2023-01-01"}
        ),
    ]
    first = post_ndjson(client, lines)
    assert first.status_code == 200, first.text
    assert (first.json()["nodes_created"], first.json()["relationships_created"]) >= (3, 2)
    # Other tests may write to a shared database meanwhile: a stats difference must repeat
    # on every attempt to count, while each re-post must itself create nothing.
    for attempt in range(3):
        before = client.get(f"{API}/stats").json()
        again = post_ndjson(client, lines)
        after = client.get(f"{API}/stats").json()
        assert again.status_code == 200, again.text
        assert again.json()["nodes_created"] == 0
        assert again.json()["relationships_created"] == 0
        if before == after:
            break
        assert attempt < 2, f"stats changed on re-ingest: {before} -> {after}"
    assert client.get(url(f"{ns}d")).json()["licenses"] == ["Apache-2.0", "MIT"]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_ingest_with_the_wrong_content_type_is_415(
    client: TestClient, ns: str, content_type: str | None
) -> None:
    body = json.dumps({"node": "dataset", "id": f"{ns}x"}).encode()
    headers = {"content-type": content_type} if content_type else {}
    problem(client.post(f"{API}/ingest", content=body, headers=headers), 415)
    problem(client.get(url(f"{ns}x")), 404)


def test_ingest_accepts_ndjson_with_a_charset_and_crlf(client: TestClient, ns: str) -> None:
    body = (json.dumps({"node": "dataset", "id": f"{ns}x"}) + "\r\n\r\n").encode()
    response = client.post(
        f"{API}/ingest",
        content=body,
        headers={"content-type": "application/x-ndjson; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert client.get(url(f"{ns}x")).status_code == 200


def test_ingest_closing_a_cycle_is_409(client: TestClient, ns: str) -> None:
    lines = [json.dumps({"node": "dataset", "id": f"{ns}{name}"}) for name in "abc"] + [
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}a", "to": f"{ns}b"}),
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}b", "to": f"{ns}c"}),
        json.dumps({"edge": "DERIVED_FROM", "from": f"{ns}c", "to": f"{ns}a"}),
    ]
    body = problem(post_ndjson(client, lines), 409)
    cycle = body["cycle"]
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {f"{ns}a", f"{ns}b", f"{ns}c"}
    assert len(cycle) == 4
    problem(client.get(url(f"{ns}a")), 404)  # all-or-nothing: the nodes were not written

    # Against the graph: the first two edges load, the closing one is refused alone.
    assert post_ndjson(client, lines[:5]).status_code == 200
    body = problem(post_ndjson(client, lines[5:]), 409)
    assert body["cycle"] == [f"{ns}c", f"{ns}a", f"{ns}b", f"{ns}c"]


def test_bad_input_example_is_rejected_line_by_line(
    client: TestClient, ns: str, example_file: Path
) -> None:
    bad = example_file.with_name("bad-input.ndjson").read_text(encoding="utf-8").splitlines()
    lines = prefix_ids(bad, ns)
    body = problem(post_ndjson(client, lines), 422)
    expected = {
        7: "colour",
        8: "weights",
        9: "dangling",
        10: "self-loop",
        13: "cycle",
        14: "json",
        15: "id",
        16: "GENERATED_BY",
    }
    assert {e["line"] for e in body["errors"]} == set(expected)
    for error in body["errors"]:
        assert expected[error["line"]].lower() in error["reason"].lower(), error
    for name in ("src:demo-annotators", "demo:a", "demo:b", "demo:c", "demo:m"):
        problem(client.get(url(ns + name)), 404)


# ---------------------------------------------------------------- lineage vs the oracle


def check_answer(
    answer: dict[str, Any], graph: LineageGraph, root: str, direction: str, **kw: Any
) -> None:
    nodes, edges, truncated = graph.expected(root, direction, **kw)
    got = ids(answer["nodes"])
    assert len(got) == len(set(got)), f"duplicate nodes for {root}"
    assert set(got) == nodes, f"{direction} of {root}"
    assert edge_set(answer["edges"]) == edges, f"{direction} edges of {root}"
    assert answer["root"] == root
    assert answer["direction"] == direction
    assert answer["total"] == len(nodes)
    assert answer["complete"] is (not truncated)
    assert answer["truncated_reason"] == ("max_depth" if truncated else None)
    for node in answer["nodes"]:
        assert node["kind"] == graph.nodes[node["id"]]["node"]


@pytest.mark.parametrize("direction", [UPSTREAM, DOWNSTREAM])
def test_lineage_of_every_example_node_matches_bfs(
    client: TestClient, copy_graph: LineageGraph, direction: str
) -> None:
    assert len(copy_graph.nodes) > 50
    for root in sorted(copy_graph.nodes):
        check_answer(lineage(client, root, direction=direction), copy_graph, root, direction)


def test_lineage_of_the_shipped_example_ids_matches_bfs(
    client: TestClient, example_graph: LineageGraph
) -> None:
    """The example under its own ids. The database is shared, so other data may hang below
    example nodes: downstream answers are compared on the example's own ids only."""
    for root in sorted(example_graph.nodes):
        check_answer(lineage(client, root), example_graph, root, UPSTREAM)
    for root in ("src:wikipedia", "hf:tatsu-lab/alpaca", "openai:gpt-4", "meta:llama-13b"):
        down = lineage(client, root, direction=DOWNSTREAM)
        foreign = {n for n in ids(down["nodes"]) if n not in example_graph.nodes}
        expected = example_graph.closure(root, DOWNSTREAM)
        assert expected
        assert set(ids(down["nodes"])) - foreign == expected
        own_edges = {e for e in edge_set(down["edges"]) if not {e[0], e[1]} & foreign}
        assert own_edges == example_graph.edges_among(expected | {root})


@pytest.mark.parametrize("direction", [UPSTREAM, DOWNSTREAM])
def test_max_depth_matches_bfs_within_depth(
    client: TestClient, copy_graph: LineageGraph, direction: str
) -> None:
    def deepest(root: str) -> int:
        return max(copy_graph.distances(root, direction).values(), default=0)

    roots = sorted(copy_graph.nodes, key=lambda r: (-deepest(r), r))[:4]
    assert deepest(roots[-1]) >= 3
    for root in roots:
        for depth in range(1, deepest(root) + 2):
            answer = lineage(client, root, direction=direction, max_depth=depth)
            check_answer(answer, copy_graph, root, direction, max_depth=depth)


@pytest.mark.parametrize(
    ("direction", "kinds"),
    [
        (UPSTREAM, ["DERIVED_FROM"]),
        (UPSTREAM, ["TRAINED_ON", "FINE_TUNED_FROM"]),
        (DOWNSTREAM, ["DERIVED_FROM", "GENERATED_BY"]),
    ],
)
def test_edge_kinds_follow_only_those_types(
    client: TestClient, copy_graph: LineageGraph, direction: str, kinds: list[str]
) -> None:
    narrower = 0
    for root in sorted(copy_graph.nodes):
        answer = lineage(client, root, direction=direction, edge_kinds=",".join(kinds))
        check_answer(answer, copy_graph, root, direction, kinds=kinds)
        assert {e["type"] for e in answer["edges"]} <= set(kinds)
        narrower += copy_graph.closure(root, direction) != set(ids(answer["nodes"]))
    assert narrower > 5  # the filter really removed something


def test_edge_kinds_may_be_repeated_and_lowercase(
    client: TestClient, copy_graph: LineageGraph, copy_prefix: str
) -> None:
    root = copy_prefix + "example:helpdesk-7b"
    response = client.get(
        url(root, "/lineage"), params=[("edge_kinds", "trained_on"), ("edge_kinds", "DERIVED_FROM")]
    )
    assert response.status_code == 200, response.text
    check_answer(response.json(), copy_graph, root, UPSTREAM, kinds=["TRAINED_ON", "DERIVED_FROM"])


@pytest.mark.parametrize("direction", [UPSTREAM, DOWNSTREAM])
def test_pagination_walks_every_node_once(
    client: TestClient, copy_graph: LineageGraph, direction: str
) -> None:
    sizes = {r: len(copy_graph.closure(r, direction)) for r in copy_graph.nodes}
    big = sorted((r for r in sizes if sizes[r] >= 5), key=lambda r: (sizes[r], r))
    assert big
    for root in (big[0], big[len(big) // 2], big[-1]):  # odd and even totals
        expected_nodes, expected_edges, _ = copy_graph.expected(root, direction)
        seen: list[str] = []
        edges: set[tuple[str, str, str]] = set()
        pages: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"direction": direction, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = lineage(client, root, **params)
            pages.append(page)
            assert len(page["nodes"]) <= 2
            assert page["total"] == len(expected_nodes)
            seen += ids(page["nodes"])
            edges |= edge_set(page["edges"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert page["complete"] is False and page["truncated_reason"] == "limit"
            assert len(pages) <= len(expected_nodes)
        assert pages[-1]["complete"] is True and pages[-1]["truncated_reason"] is None
        assert len(seen) == len(set(seen)), f"a node was on two pages for {root}"
        assert set(seen) == expected_nodes
        assert edges == expected_edges
        assert len(pages) == -(-len(expected_nodes) // 2)


def test_as_of_excludes_edges_not_yet_valid_or_retracted(client: TestClient, ns: str) -> None:
    make_nodes(
        client,
        ns,
        {"a": "dataset", "b": "dataset", "c": "dataset", "x": "dataset", "old": "dataset"},
    )
    assert add_edge(client, ns, "a", "b", valid_from="2020-01-01").status_code == 201
    assert add_edge(client, ns, "b", "c", valid_from="2022-01-01").status_code == 201
    assert add_edge(client, ns, "b", "x", valid_from="2020-06-01").status_code == 201
    # A shorter route to x that is only valid later: BFS must not let it hide the older route.
    assert add_edge(client, ns, "a", "x", valid_from="2024-01-01").status_code == 201
    assert (
        add_edge(client, ns, "a", "old", valid_from="2019-01-01", valid_to="2021-01-01").status_code
        == 201
    )

    def up(as_of: str | None) -> set[str]:
        params = {"as_of": as_of} if as_of else {}
        return {n.removeprefix(ns) for n in ids(lineage(client, ns + "a", **params)["nodes"])}

    assert up("2018-06-01") == set()
    assert up("2019-06-01") == {"old"}
    assert up("2020-03-01T12:00:00Z") == {"b", "old"}
    assert up("2021-06-01") == {"b", "x"}
    assert up("2023-01-01") == {"b", "c", "x"}
    assert up(None) == {"b", "c", "x"}

    answer = lineage(client, ns + "a", as_of="2021-06-01")
    assert edge_set(answer["edges"]) == {
        (ns + "a", ns + "b", "DERIVED_FROM"),
        (ns + "b", ns + "x", "DERIVED_FROM"),
    }
    down = lineage(client, ns + "c", direction=DOWNSTREAM, as_of="2021-06-01")
    assert down["nodes"] == []
    down = lineage(client, ns + "x", direction=DOWNSTREAM, as_of="2021-06-01")
    assert set(ids(down["nodes"])) == {ns + "a", ns + "b"}

    path = client.get(url(ns + "a", "/path"), params={"to": ns + "c", "as_of": "2021-06-01"}).json()
    assert path["found"] is False
    path = client.get(url(ns + "a", "/path"), params={"to": ns + "x", "as_of": "2021-06-01"}).json()
    assert path["nodes"] == [ns + "a", ns + "b", ns + "x"]


def test_subgraph_is_root_ancestors_descendants_and_the_edges_among_them(
    client: TestClient, copy_graph: LineageGraph
) -> None:
    for root in sorted(copy_graph.nodes):
        response = client.get(url(root, "/subgraph"))
        assert response.status_code == 200, response.text
        answer = response.json()
        members = {root} | copy_graph.closure(root, UPSTREAM) | copy_graph.closure(root, DOWNSTREAM)
        got = ids(answer["nodes"])
        assert got[0] == root
        assert len(got) == len(set(got))
        assert set(got) == members
        assert edge_set(answer["edges"]) == copy_graph.edges_among(members)
        assert answer["complete"] is True and answer["total"] == len(members)


def test_subgraph_limit_caps_nodes_and_says_so(
    client: TestClient, copy_graph: LineageGraph, copy_prefix: str
) -> None:
    root = copy_prefix + "example:helpdesk-7b"
    answer = client.get(url(root, "/subgraph"), params={"limit": 3}).json()
    assert len(answer["nodes"]) == 3 and answer["nodes"][0]["id"] == root
    assert answer["complete"] is False and answer["truncated_reason"] == "limit"
    kept = set(ids(answer["nodes"]))
    assert all(e[0] in kept and e[1] in kept for e in edge_set(answer["edges"]))


def test_path_is_a_shortest_valid_chain_to_each_ancestor(
    client: TestClient, copy_graph: LineageGraph, copy_prefix: str
) -> None:
    roots = [
        copy_prefix + r
        for r in (
            "example:helpdesk-7b",
            "hf:TheBloke/zephyr-7B-beta-GGUF",
            "hf:tatsu-lab/alpaca-7b-wdiff",
        )
    ]
    for root in roots:
        for target, distance in copy_graph.distances(root).items():
            response = client.get(url(root, "/path"), params={"to": target})
            assert response.status_code == 200, response.text
            path = response.json()
            assert path["found"] is True
            assert path["source"] == root and path["target"] == target
            assert path["nodes"][0] == root and path["nodes"][-1] == target
            assert len(path["edges"]) == distance == len(path["nodes"]) - 1
            for i, edge in enumerate(path["edges"]):
                assert (edge["from"], edge["to"]) == (path["nodes"][i], path["nodes"][i + 1])
                assert (edge["from"], edge["to"], edge["type"]) in copy_graph.edges


def test_path_not_found_when_target_is_not_an_ancestor(
    client: TestClient, copy_prefix: str
) -> None:
    child, ancestor = copy_prefix + "hf:tatsu-lab/alpaca", copy_prefix + "src:self-instruct-seeds"
    reverse = client.get(url(ancestor, "/path"), params={"to": child})
    assert reverse.status_code == 200, reverse.text
    assert reverse.json() == {
        "source": ancestor,
        "target": child,
        "found": False,
        "nodes": [],
        "edges": [],
    }
    unrelated = client.get(url(child, "/path"), params={"to": copy_prefix + "src:github"}).json()
    assert unrelated["found"] is False


def test_path_to_itself_is_not_a_server_error(
    neo4j_settings: Settings, store: Store, copy_prefix: str
) -> None:
    root = copy_prefix + "hf:tatsu-lab/alpaca"
    app = create_app(neo4j_settings, store=store)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(url(root, "/path"), params={"to": root})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.json()["found"] is False
    else:
        problem(response, 422)


def test_lineage_of_ids_with_slashes(client: TestClient, ns: str) -> None:
    make_nodes(client, ns, {"hf:org/child": "dataset", "hf:org/parent/v2": "dataset"})
    assert add_edge(client, ns, "hf:org/child", "hf:org/parent/v2").status_code == 201
    assert ids(lineage(client, f"{ns}hf:org/child")["nodes"]) == [f"{ns}hf:org/parent/v2"]
    down = lineage(client, f"{ns}hf:org/parent/v2", direction=DOWNSTREAM)
    assert ids(down["nodes"]) == [f"{ns}hf:org/child"]
    sub = client.get(url(f"{ns}hf:org/parent/v2", "/subgraph")).json()
    assert ids(sub["nodes"]) == [f"{ns}hf:org/parent/v2", f"{ns}hf:org/child"]


def test_lineage_ids_answer_the_same_closure_as_ids_only(client: TestClient, ns: str) -> None:
    make_nodes(client, ns, {"hf:o/a": "dataset", "hf:o/b": "dataset", "c": "source"})
    assert add_edge(client, ns, "hf:o/a", "hf:o/b").status_code == 201
    assert add_edge(client, ns, "hf:o/b", "c").status_code == 201
    response = client.get(url(f"{ns}hf:o/a", "/lineage/ids"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ids"] == ids(lineage(client, f"{ns}hf:o/a")["nodes"]) == [f"{ns}c", f"{ns}hf:o/b"]
    assert body["total"] == 2 and body["complete"] and body["next_cursor"] is None
    first = client.get(url(f"{ns}hf:o/a", "/lineage/ids"), params={"limit": 1}).json()
    assert first["ids"] == [f"{ns}c"] and first["truncated_reason"] == "limit"
    rest = client.get(
        url(f"{ns}hf:o/a", "/lineage/ids"), params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert rest["ids"] == [f"{ns}hf:o/b"] and rest["complete"]
    near = client.get(url(f"{ns}hf:o/a", "/lineage/ids"), params={"max_depth": 1}).json()
    assert near["ids"] == [f"{ns}hf:o/b"] and near["truncated_reason"] == "max_depth"
    down = client.get(url(f"{ns}c", "/lineage/ids"), params={"direction": DOWNSTREAM}).json()
    assert down["ids"] == [f"{ns}hf:o/a", f"{ns}hf:o/b"]
    problem(client.get(url(f"{ns}missing", "/lineage/ids")), 404)
    problem(client.get(url(f"{ns}c", "/lineage/ids"), params={"limit": 0}), 422)


# ---------------------------------------------------------------- OpenAPI


def test_openapi_documents_the_lineage_route(client: TestClient) -> None:
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    route = next(
        (p for p in paths if p.startswith(f"{API}/artifacts/") and p.endswith("/lineage")), None
    )
    assert route, sorted(paths)
    operation = paths[route]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"direction", "max_depth", "edge_kinds", "as_of", "limit", "cursor"} <= set(params)
    assert params["artifact_id"]["in"] == "path"
    assert params["limit"]["in"] == "query"
    assert {"200", "404", "422"} <= set(operation["responses"])
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/Lineage")  # the model is still declared, sent as it dumps
    assert f"{API}/ingest" in paths and f"{API}/edges" in paths


def test_docs_serve_html(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text
