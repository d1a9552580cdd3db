"""The API's per-epoch answer cache: a repeated GET about now is served from the kept JSON,
and any write (or `Cache-Control: no-cache`) makes the next answer a fresh one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from provgraph.service import lineage as lineage_module
from provgraph.service import lineage_index
from provgraph.service.api import create_app
from provgraph.service.api.answers import ANSWERS
from provgraph.service.ingest import ingest_lines
from provgraph.service.lineage_index import LineageIndex
from provgraph.service.settings import Settings
from provgraph.service.store import Store


@pytest.fixture()
def client(
    neo4j_settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """An API whose lineage index answers on every graph size (the cache needs a snapshot)."""
    forced = LineageIndex(min_edges=0, background=False)
    monkeypatch.setattr(lineage_index, "index_for", lambda store: forced)
    monkeypatch.setattr(lineage_module, "index_for", lambda store: forced)
    with TestClient(create_app(neo4j_settings, store=store)) as test_client:
        yield test_client


def write(store: Store, *records: dict[str, object]) -> None:
    ingest_lines(store, [json.dumps(r) for r in records], alerts=False)


def chain(ns: str) -> list[dict[str, object]]:
    return [
        {"node": "source", "id": f"{ns}s", "license": "CC-BY-4.0", "human": True},
        {"node": "dataset", "id": f"{ns}d", "name": "first name"},
        {"node": "model", "id": f"{ns}m", "license": "Apache-2.0"},
        {"edge": "DERIVED_FROM", "from": f"{ns}d", "to": f"{ns}s"},
        {"edge": "TRAINED_ON", "from": f"{ns}m", "to": f"{ns}d"},
    ]


def test_a_repeated_page_is_a_hit_and_any_write_retires_it(
    client: TestClient, store: Store, ns: str
) -> None:
    write(store, *chain(ns))
    path = f"/api/v1/artifacts/{ns}m/lineage"
    first = client.get(path)
    hits = ANSWERS.hits
    again = client.get(path)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and ANSWERS.hits == hits + 1
    assert first.json()["total"] == 2

    # A property-only write moves the epoch too: the next page shows the new name.
    write(store, {"node": "dataset", "id": f"{ns}d", "name": "second name"})
    renamed = client.get(path).json()
    assert {n["id"]: n.get("name") for n in renamed["nodes"]}[f"{ns}d"] == "second name"

    # A new ancestor: the total moves with it.
    write(
        store,
        {"node": "source", "id": f"{ns}s2", "human": True},
        {"edge": "DERIVED_FROM", "from": f"{ns}d", "to": f"{ns}s2"},
    )
    assert client.get(path).json()["total"] == 3

    # Parameters are part of the key: another page size is another answer.
    small = client.get(path, params={"limit": 1}).json()
    assert len(small["nodes"]) == 1 and small["next_cursor"]


def test_no_cache_requests_are_computed_and_equal(
    client: TestClient, store: Store, ns: str
) -> None:
    write(store, *chain(ns))
    path = f"/api/v1/artifacts/{ns}m/licenses"
    kept = client.get(path)
    hits = ANSWERS.hits
    fresh = client.get(path, headers={"Cache-Control": "no-cache"})
    pragma = client.get(path, headers={"Pragma": "no-cache"})
    assert ANSWERS.hits == hits
    assert kept.status_code == fresh.status_code == pragma.status_code == 200
    assert kept.json() == fresh.json() == pragma.json()
    assert client.get(path).content == kept.content and ANSWERS.hits == hits + 1


def test_a_license_change_is_seen_at_once(client: TestClient, store: Store, ns: str) -> None:
    write(store, *chain(ns))
    path = f"/api/v1/artifacts/{ns}m/licenses"
    before = {c["license"] for c in client.get(path).json()["clauses"]}
    assert "CC-BY-NC-4.0" not in before
    write(store, {"node": "source", "id": f"{ns}s", "license": "CC-BY-NC-4.0"})
    after = client.get(path).json()
    assert "CC-BY-NC-4.0" in {c["license"] for c in after["clauses"]}
    assert after["conflicts"]  # an NC source under a released model


def test_unknown_ids_are_problems_and_never_kept(client: TestClient, ns: str) -> None:
    for _ in range(2):
        answer = client.get(f"/api/v1/artifacts/{ns}nope/lineage")
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_readyz_shows_the_cache(client: TestClient) -> None:
    status = client.get("/readyz").json()["answer_cache"]
    assert set(status) == {"entries", "size", "hits", "misses"}
    assert status["entries"] <= ANSWERS.max_entries
    assert ANSWERS.max_total is not None and status["size"] <= ANSWERS.max_total


def test_every_parameter_shape_gets_the_uncached_answer(
    client: TestClient, store: Store, ns: str
) -> None:
    write(store, *chain(ns))
    path = f"/api/v1/artifacts/{ns}m/lineage"
    for params in ({"edge_kinds": ""}, {"edge_kinds": "TRAINED_ON"}, {"max_depth": "1"}):
        fresh = client.get(path, params=params, headers={"Cache-Control": "no-cache"})
        for _ in range(2):  # a miss, then a hit
            kept = client.get(path, params=params)
            assert (kept.status_code, kept.json()) == (fresh.status_code, fresh.json())
