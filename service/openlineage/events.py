"""The OpenLineage 2 RunEvent, as far as provgraph reads it (other members are kept, unread).

provgraph's custom facets (JSON Schemas in ``schemas/``):

- run facet ``provgraph_generator``: ``{"models": [{"id", "name", "vendor", "family",
  "license", "records", "prompt_template"}]}``: the models that generated the outputs.
- dataset facet ``provgraph_artifact``: ``{"id", "kind" (dataset|source|model), "license",
  "human", "records", "vendor", "family"}``: the provgraph side of a dataset.
- input dataset facet ``provgraph_contribution``: ``{"records"}``: how many records of the
  outputs came from this input.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "ArtifactFacet",
    "ContributionFacet",
    "Dataset",
    "GeneratorFacet",
    "GeneratorModel",
    "Job",
    "Run",
    "RunEvent",
]

EventType = Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
_OPEN = ConfigDict(extra="allow", populate_by_name=True)


class GeneratorModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None
    vendor: str | None = None
    family: str | None = None
    license: str | None = None
    records: int | None = Field(default=None, ge=0)
    prompt_template: str | None = None


class GeneratorFacet(BaseModel):
    model_config = _OPEN

    models: list[GeneratorModel]


class ArtifactFacet(BaseModel):
    model_config = _OPEN

    id: str | None = None
    kind: Literal["dataset", "source", "model"] | None = None
    license: str | None = None
    human: bool | None = None
    records: int | None = Field(default=None, ge=0)
    vendor: str | None = None
    family: str | None = None


class ContributionFacet(BaseModel):
    model_config = _OPEN

    records: int = Field(ge=0)


class Run(BaseModel):
    model_config = _OPEN

    runId: UUID
    facets: dict[str, Any] = Field(default_factory=dict)


class Job(BaseModel):
    model_config = _OPEN

    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)


class Dataset(BaseModel):
    model_config = _OPEN

    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: dict[str, Any] = Field(default_factory=dict)
    inputFacets: dict[str, Any] = Field(default_factory=dict)
    outputFacets: dict[str, Any] = Field(default_factory=dict)


class RunEvent(BaseModel):
    model_config = _OPEN

    eventType: EventType | None = None
    eventTime: AwareDatetime
    run: Run
    job: Job
    producer: str = Field(min_length=1)
    schemaURL: str | None = None
    inputs: list[Dataset] = Field(default_factory=list)
    outputs: list[Dataset] = Field(default_factory=list)
