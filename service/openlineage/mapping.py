"""One OpenLineage RunEvent as provgraph ingest records, then one ingest.

- The run becomes a `:Run` ``ol:<runId>`` named after the job; ``START``/``RUNNING``
  mark it running (``START`` sets ``started_at``), ``COMPLETE`` succeeded, ``FAIL`` and
  ``ABORT`` failed (with the ``errorMessage`` facet's message); ``ended_at`` is the event
  time of those.
- A dataset's id is ``<namespace>:<name>`` (``hf`` + ``tatsu-lab/alpaca`` gives
  ``hf:tatsu-lab/alpaca``) unless its ``provgraph_artifact`` facet names one; the facet also
  says whether it is a source or a model, its license and its records.
- Inputs: ``USED`` edges. Outputs: ``PRODUCED_BY`` edges and lineage to every input
  (``DERIVED_FROM`` for datasets, ``TRAINED_ON`` for models; ``records`` from the input's
  ``provgraph_contribution`` facet) and to every generator of the ``provgraph_generator``
  run facet (``GENERATED_BY``). Output records come from ``outputStatistics.rowCount``.
- Lineage is not written for ``FAIL`` and ``ABORT`` events: a failed run's outputs are not
  facts to build on.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from provgraph.service.errors import InvalidInput
from provgraph.service.ingest import ingest_lines
from provgraph.service.models import IngestReport, RunKind, RunStatus
from provgraph.service.ndjson import describe_validation_error
from provgraph.service.openlineage.events import (
    ArtifactFacet,
    ContributionFacet,
    Dataset,
    GeneratorFacet,
    RunEvent,
)
from provgraph.service.store import Store

__all__ = ["FACET_SCHEMAS", "facet_schema", "ingest_run_event", "run_id", "to_records"]

GENERATOR_FACET = "provgraph_generator"
ARTIFACT_FACET = "provgraph_artifact"
CONTRIBUTION_FACET = "provgraph_contribution"
FACET_SCHEMAS = {
    GENERATOR_FACET: "GeneratorRunFacet.json",
    ARTIFACT_FACET: "ArtifactDatasetFacet.json",
    CONTRIBUTION_FACET: "ContributionInputDatasetFacet.json",
}
# (output is a model, input is a model) -> the lineage edge from the output to the input
_LINEAGE = {
    (False, False): "DERIVED_FROM",
    (False, True): "GENERATED_BY",
    (True, False): "TRAINED_ON",
    (True, True): "FINE_TUNED_FROM",
}
_STATUS = {
    "START": RunStatus.RUNNING,
    "RUNNING": RunStatus.RUNNING,
    "COMPLETE": RunStatus.SUCCEEDED,
    "FAIL": RunStatus.FAILED,
    "ABORT": RunStatus.FAILED,
}


def facet_schema(name: str) -> dict[str, Any]:
    """The JSON Schema shipped for one of provgraph's custom facets."""
    text = resources.files(__package__).joinpath("schemas", FACET_SCHEMAS[name]).read_text()
    return dict(json.loads(text))


T = TypeVar("T", bound=BaseModel)


def _facet(facets: dict[str, Any], name: str, model: type[T], where: str) -> T | None:
    raw = facets.get(name)
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"{where}: facet {name!r}: {describe_validation_error(exc)}") from exc


def run_id(event: RunEvent) -> str:
    return f"ol:{event.run.runId}"


def _artifact(dataset: Dataset, where: str) -> tuple[dict[str, Any], str]:
    """The node record of one input or output, and its kind."""
    facet = _facet(dataset.facets, ARTIFACT_FACET, ArtifactFacet, where) or ArtifactFacet()
    kind = facet.kind or ("source" if facet.human is not None else "dataset")
    node: dict[str, Any] = {
        "node": kind,
        "id": facet.id or f"{dataset.namespace}:{dataset.name}",
        "name": dataset.name,
    }
    stats = dataset.outputFacets.get("outputStatistics") or {}
    records = facet.records if facet.records is not None else stats.get("rowCount")
    for key, value in (
        ("license", facet.license),
        ("human", facet.human),
        ("records", records if kind != "model" else None),
        ("vendor", facet.vendor),
        ("family", facet.family),
    ):
        if value is not None:
            node[key] = value
    return node, kind


def to_records(event: RunEvent) -> list[dict[str, Any]]:
    """The ingest records of one event (docs/openlineage.md)."""
    run = run_id(event)
    status = _STATUS.get(event.eventType or "")
    generators = _facet(event.run.facets, GENERATOR_FACET, GeneratorFacet, "run")
    record: dict[str, Any] = {
        "node": "run",
        "id": run,
        "name": f"{event.job.namespace}/{event.job.name}",
        "recorded_by": "openlineage",
        "attrs": {"producer": event.producer, "job_namespace": event.job.namespace},
    }
    if generators is not None:
        record["kind"] = RunKind.GENERATION.value
    if status is not None:
        record["status"] = status.value
    if event.eventType == "START":
        record["started_at"] = event.eventTime.isoformat()
    if status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        record["ended_at"] = event.eventTime.isoformat()
        message = (event.run.facets.get("errorMessage") or {}).get("message")
        if message:
            record["error"] = str(message)[:2000]
    records: list[dict[str, Any]] = [record]

    inputs: list[tuple[str, str, int | None]] = []
    for i, dataset in enumerate(event.inputs):
        node, kind = _artifact(dataset, f"inputs[{i}]")
        share = _facet(dataset.inputFacets, CONTRIBUTION_FACET, ContributionFacet, f"inputs[{i}]")
        inputs.append((node["id"], kind, share.records if share else None))
        records += [node, {"edge": "USED", "from": run, "to": node["id"], "role": "input"}]
    for model in generators.models if generators else []:
        node = model.model_dump(exclude_none=True, exclude={"records", "prompt_template"})
        records += [
            {"node": "model", **node},
            {"edge": "USED", "from": run, "to": model.id, "role": "generator"},
        ]
    failed = status is RunStatus.FAILED
    for i, dataset in enumerate(event.outputs):
        node, kind = _artifact(dataset, f"outputs[{i}]")
        records += [node, {"edge": "PRODUCED_BY", "from": node["id"], "to": run}]
        if failed:
            continue
        for parent, parent_kind, weight in inputs:
            edge_kind = _LINEAGE[(kind == "model", parent_kind == "model")]
            records.append(_edge(edge_kind, node["id"], parent, weight, run))
        if kind != "model":
            for model in generators.models if generators else []:
                edge = _edge("GENERATED_BY", node["id"], model.id, model.records, run)
                if model.prompt_template:
                    edge["prompt_template"] = model.prompt_template
                records.append(edge)
    return records


def _edge(kind: str, child: str, parent: str, records: int | None, run: str) -> dict[str, Any]:
    edge: dict[str, Any] = {"edge": kind, "from": child, "to": parent, "run": run}
    if records is not None:
        edge["records"] = records
    return edge


def ingest_run_event(store: Store, payload: Any) -> IngestReport:
    """Validate one RunEvent and write it (all or nothing; idempotent)."""
    try:
        event = RunEvent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(
            f"not an OpenLineage RunEvent: {describe_validation_error(exc)}"
        ) from exc
    lines = [json.dumps(r) for r in to_records(event)]
    return ingest_lines(store, lines, source=f"OpenLineage event of run {event.run.runId}")
