"""Record-level provenance: a run's Parquet manifest, counts on edges, and which records of
a dataset one generator made (`provgraph records`, `GET .../records`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from provgraph import sdk
from provgraph.cli.main import run
from provgraph.service import lineage
from provgraph.service.api import create_app
from provgraph.service.manifest_tables import MANIFEST_SCHEMA
from provgraph.service.manifests import records_from
from provgraph.service.settings import Settings
from provgraph.service.store import Store


@pytest.fixture()
def mixed(store: Store, neo4j_settings: Settings, ns: str, tmp_path: Path) -> dict[str, object]:
    """A dataset of 10 records: 6 by vendor A's model, 3 by vendor B's, 1 human seed kept."""
    manifest_path = tmp_path / "manifest.parquet"
    texts: dict[str, list[str]] = {"a": [], "b": [], "seed": []}
    recorder = sdk.Recorder(sdk.Neo4jSink(neo4j_settings, spool=tmp_path / "spool"))
    with recorder, recorder.run(f"{ns}run", kind="generation") as r:
        a = r.uses_model(f"{ns}model-a", vendor="A")
        b = r.uses_model(f"{ns}model-b", vendor="B")
        seeds = r.uses_source(f"{ns}seeds", human=True, records=1)
        manifest = r.record_manifest(manifest_path)
        for i in range(10):
            generator = None if i == 9 else (a if i % 3 else b)
            text = f"record {i} by {generator}"
            manifest.add(
                text,
                generator=generator,
                prompt_template=None if generator is None else "qa-v1",
                seed_ids=[f"seed-{i % 2}"],
            )
            texts["seed" if generator is None else ("a" if generator == a else "b")].append(text)
        r.produces_dataset(f"{ns}out", manifest=manifest, derived_from={seeds: 1})
    return {"path": manifest_path, "texts": texts}


def test_manifest_rows_and_edge_counts(store: Store, ns: str, mixed: dict[str, object]) -> None:
    path = mixed["path"]
    assert isinstance(path, Path)
    table = pq.read_table(path)
    assert table.schema.equals(MANIFEST_SCHEMA, check_metadata=False)
    assert table.num_rows == 10
    assert set(table.column("dataset").to_pylist()) == {f"{ns}out"}
    assert table.column("record_index").to_pylist() == list(range(10))
    edges = {(e.type.value, e.to): e.records for e in lineage.lineage(store, f"{ns}out").edges}  # type: ignore[attr-defined]
    assert edges == {
        ("GENERATED_BY", f"{ns}model-a"): 6,  # counted from the manifest
        ("GENERATED_BY", f"{ns}model-b"): 3,
        ("DERIVED_FROM", f"{ns}seeds"): 1,
    }
    with store._driver.session(database=store.database) as session:
        props = session.run("MATCH (r:Run {id: $id}) RETURN r {.*} AS r", id=f"{ns}run").single()[
            "r"
        ]
    assert props["manifest"] == path.as_uri() and len(props["manifest_sha256"]) == 64


def test_records_of_one_generator(store: Store, ns: str, mixed: dict[str, object]) -> None:
    texts = mixed["texts"]
    assert isinstance(texts, dict)
    found = records_from(store, f"{ns}out", f"{ns}model-b")
    assert found.total == 3 and found.complete
    assert [r.record_index for r in found.records] == [0, 3, 6]
    assert [r.record_hash for r in found.records] == [sdk.record_hash(t) for t in texts["b"]]
    assert {r.generator for r in found.records} == {f"{ns}model-b"}
    assert found.records[0].seed_ids == ["seed-0"] and found.records[0].prompt_template == "qa-v1"
    assert (
        records_from(store, f"{ns}out", f"{ns}model-a", limit=2).model_dump()["complete"] is False
    )
    assert records_from(store, f"{ns}out", f"{ns}nobody").total == 0


def test_cli_records(
    store: Store,
    ns: str,
    mixed: dict[str, object],
    env_for_cli: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["records", f"{ns}out", "--generator", f"{ns}model-a", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["total"] == 6 and [r["record_index"] for r in answer["records"]] == [
        1,
        2,
        4,
        5,
        7,
        8,
    ]
    assert run(["records", f"{ns}out", "--generator", f"{ns}model-a"]) == 0
    assert "6 records" in capsys.readouterr().out
    assert run(["records", f"{ns}seeds", "--generator", f"{ns}model-a"]) == 1
    assert "no record manifest" in capsys.readouterr().err
    assert run(["records", f"{ns}missing", "--generator", "x"]) == 1
    path = mixed["path"]
    assert isinstance(path, Path)
    path.write_bytes(path.read_bytes() + b"tampered")
    assert run(["records", f"{ns}out", "--generator", f"{ns}model-a"]) == 1
    assert "changed since run" in capsys.readouterr().err


@pytest.fixture()
def client(neo4j_settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings, store=store)) as test_client:
        yield test_client


def test_api_records(client: TestClient, ns: str, mixed: dict[str, object]) -> None:
    response = client.get(
        f"/api/v1/artifacts/{ns}out/records", params={"generator": f"{ns}model-b"}
    )
    assert response.status_code == 200 and response.json()["total"] == 3
    assert client.get(f"/api/v1/artifacts/{ns}out/records").status_code == 422
