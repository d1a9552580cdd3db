"""OpenLineage: the real openlineage-python client emits over HTTP to a real API process, and
its events appear as lineage; facets validate against the shipped JSON Schemas."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from api_server import ApiServer
from conftest import free_port
from fastapi.testclient import TestClient
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import error_message_run, output_statistics_output_dataset
from openlineage.client.serde import Serde

from provgraph.sdk.openlineage import (
    ArtifactDatasetFacet,
    ContributionInputDatasetFacet,
    GeneratorRunFacet,
)
from provgraph.service import lineage
from provgraph.service.api import create_app
from provgraph.service.openlineage.mapping import FACET_SCHEMAS, facet_schema
from provgraph.service.risk import risk_report
from provgraph.service.settings import Settings
from provgraph.service.store import Store

PRODUCER = "https://example.org/provgraph-tests"


@pytest.fixture(scope="module")
def api(neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    server = ApiServer(neo4j_settings, free_port(), tmp_path_factory.mktemp("ol") / "api.log")
    server.start()
    yield server
    server.stop()


def now() -> str:
    return datetime.now(UTC).isoformat()


def synthesis_events(ns: str, run_id: str) -> list[RunEvent]:
    """A generation job: human seeds + a generator model -> a synthetic dataset of 1,000."""
    job = Job(namespace="provgraph-tests", name=f"{ns}synthesize")
    seeds = InputDataset(
        namespace="hf",
        name=f"{ns}seeds",
        facets={"provgraph_artifact": ArtifactDatasetFacet(kind="source", human=True)},
        inputFacets={"provgraph_contribution": ContributionInputDatasetFacet(records=100)},
    )
    generator = GeneratorRunFacet(
        models=[
            {
                "id": f"{ns}gen",
                "vendor": "OpenAI",
                "family": "gpt",
                "records": 900,
                "license": "LicenseRef-openai-terms",
                "prompt_template": "self-instruct-v1",
            }
        ]
    )
    output = OutputDataset(
        namespace="hf",
        name=f"{ns}synthetic",
        facets={"provgraph_artifact": ArtifactDatasetFacet(license="CC-BY-NC-4.0")},
        outputFacets={
            "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=1000
            )
        },
    )
    facets: dict[str, Any] = {"provgraph_generator": generator}
    return [
        RunEvent(
            eventType=RunState.START,
            eventTime=now(),
            run=Run(runId=run_id, facets=facets),
            job=job,
            producer=PRODUCER,
            inputs=[seeds],
        ),
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=now(),
            run=Run(runId=run_id, facets=facets),
            job=job,
            producer=PRODUCER,
            inputs=[seeds],
            outputs=[output],
        ),
    ]


def test_openlineage_client_events_appear_as_lineage(
    api: ApiServer, store: Store, ns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", api.url)  # the client's own configuration
    for var in ("OPENLINEAGE_CONFIG", "OPENLINEAGE_DISABLED", "OPENLINEAGE__TRANSPORT__TYPE"):
        monkeypatch.delenv(var, raising=False)
    client = OpenLineageClient()
    run_id = str(uuid.uuid4())
    for event in synthesis_events(ns, run_id):
        client.emit(event)

    ancestry = lineage.lineage(store, f"hf:{ns}synthetic")
    assert sorted((e.from_, e.type.value, e.to, e.records) for e in ancestry.edges) == [  # type: ignore[attr-defined]
        (f"hf:{ns}synthetic", "DERIVED_FROM", f"hf:{ns}seeds", 100),
        (f"hf:{ns}synthetic", "GENERATED_BY", f"{ns}gen", 900),
    ]
    out = httpx.get(f"{api.url}/api/v1/artifacts/hf:{ns}synthetic").json()
    assert out["records"] == 1000 and out["licenses"] == ["CC-BY-NC-4.0"]
    gen = httpx.get(f"{api.url}/api/v1/artifacts/{ns}gen").json()
    assert (gen["kind"], gen["vendor"], gen["licenses"]) == (
        "model",
        "OpenAI",
        ["LicenseRef-openai-terms"],
    )
    seeds = httpx.get(f"{api.url}/api/v1/artifacts/hf:{ns}seeds").json()
    assert (seeds["kind"], seeds["human"]) == ("source", True)
    with store._driver.session(database=store.database) as session:
        row = session.run(
            "MATCH (r:Run {id: $id}) OPTIONAL MATCH (r)-[u:USED]->(a) "
            "RETURN r {.*} AS run, collect([a.id, u.role]) AS used",
            id=f"ol:{run_id}",
        ).single()
    assert row["run"]["status"] == "succeeded" and row["run"]["kind"] == "generation"
    assert row["run"]["started_at"] < row["run"]["ended_at"]
    assert sorted(row["used"]) == sorted([[f"{ns}gen", "generator"], [f"hf:{ns}seeds", "input"]])
    risk = risk_report(store, f"hf:{ns}synthetic")
    assert risk.human_fraction == 0.1 and risk.synthetic_generations == 1
    assert risk.vendors == ["OpenAI"]

    # Emitting the same events again (an orchestrator retry) changes nothing.
    before = lineage.lineage(store, f"hf:{ns}synthetic").model_dump()
    for event in synthesis_events(ns, run_id)[1:]:
        client.emit(event)
    assert lineage.lineage(store, f"hf:{ns}synthetic").model_dump() == before


@pytest.fixture()
def client(neo4j_settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings, store=store)) as test_client:
        yield test_client


def event_json(event: RunEvent) -> dict[str, Any]:
    return dict(json.loads(Serde.to_json(event)))


def test_a_failed_run_is_failed_and_writes_no_lineage(
    client: TestClient, store: Store, ns: str
) -> None:
    run_id = str(uuid.uuid4())
    start, complete = synthesis_events(ns, run_id)
    body = event_json(complete)
    body["eventType"] = "FAIL"
    body["run"]["facets"]["errorMessage"] = json.loads(
        Serde.to_json(
            error_message_run.ErrorMessageRunFacet(message="OOM", programmingLanguage="python")
        )
    )
    assert client.post("/api/v1/lineage", json=event_json(start)).status_code == 201
    assert client.post("/api/v1/lineage", json=body).status_code == 201
    with store._driver.session(database=store.database) as session:
        run = session.run("MATCH (r:Run {id: $id}) RETURN r {.*} AS r", id=f"ol:{run_id}").single()[
            "r"
        ]
    assert (run["status"], run["error"]) == ("failed", "OOM")
    assert lineage.lineage(store, f"hf:{ns}synthetic").edges == []


def test_a_training_job_with_a_model_output_gets_trained_on(
    client: TestClient, store: Store, ns: str
) -> None:
    event = {
        "eventType": "COMPLETE",
        "eventTime": now(),
        "producer": PRODUCER,
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "ml", "name": "train"},
        "inputs": [
            {
                "namespace": "hf",
                "name": f"{ns}data",
                "inputFacets": {"provgraph_contribution": {"records": 5}},
            },
            {
                "namespace": "hf",
                "name": f"{ns}base",
                "facets": {"provgraph_artifact": {"kind": "model"}},
            },
        ],
        "outputs": [
            {
                "namespace": "ml",
                "name": f"{ns}model",
                "facets": {
                    "provgraph_artifact": {"id": f"{ns}tuned", "kind": "model", "family": "markov"}
                },
            }
        ],
    }
    assert client.post("/api/v1/lineage", json=event).status_code == 201
    edges = lineage.lineage(store, f"{ns}tuned").edges
    assert sorted((e.type.value, e.to) for e in edges) == [
        ("FINE_TUNED_FROM", f"hf:{ns}base"),
        ("TRAINED_ON", f"hf:{ns}data"),
    ]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda e: e.pop("run"), "missing field 'run'"),
        (lambda e: e.update(eventTime="yesterday"), "eventTime"),
        (lambda e: e["run"].update(runId="not-a-uuid"), "runId"),
        (
            lambda e: e["run"]["facets"].update(provgraph_generator={"models": [{"vendor": "x"}]}),
            "provgraph_generator",
        ),
        (
            lambda e: e["outputs"][0]["facets"].update(provgraph_artifact={"license": "MIT OR ("}),
            "license",
        ),
    ],
)
def test_bad_events_are_problems_and_write_nothing(
    client: TestClient, store: Store, ns: str, mutate: Any, needle: str
) -> None:
    body = event_json(synthesis_events(ns, str(uuid.uuid4()))[1])
    mutate(body)
    response = client.post("/api/v1/lineage", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert needle in response.text
    assert client.get(f"/api/v1/artifacts/hf:{ns}synthetic").status_code == 404


def test_body_that_is_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/lineage", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_facets_the_client_sends_match_the_shipped_schemas(ns: str) -> None:
    event = event_json(synthesis_events(ns, str(uuid.uuid4()))[1])
    sent = {
        "provgraph_generator": event["run"]["facets"]["provgraph_generator"],
        "provgraph_artifact": event["outputs"][0]["facets"]["provgraph_artifact"],
        "provgraph_contribution": event["inputs"][0]["inputFacets"]["provgraph_contribution"],
    }
    for name in FACET_SCHEMAS:
        schema = facet_schema(name)
        schema.pop("allOf")  # the OpenLineage base facet schema is not shipped offline
        jsonschema.validate(sent[name], schema)
        assert sent[name]["_schemaURL"] == schema["$id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**sent["provgraph_contribution"], "records": -1},
            {k: v for k, v in facet_schema("provgraph_contribution").items() if k != "allOf"},
        )


def test_facet_schemas_are_documented() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "openlineage.md").read_text()
    for name, file in FACET_SCHEMAS.items():
        assert f"`{name}`" in docs and file in docs
