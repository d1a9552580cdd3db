"""provgraph's custom OpenLineage facets, for ``openlineage-python`` clients.

Attach them to a RunEvent and emit to provgraph (``OPENLINEAGE_URL=http://host:8000``)::

    run = Run(runId=..., facets={"provgraph_generator": GeneratorRunFacet(models=[
        {"id": "local:markov-1", "vendor": "Acme", "records": 900}])})
    inputs = [InputDataset("hf", "org/seeds",
              facets={"provgraph_artifact": ArtifactDatasetFacet(kind="source", human=True)},
              inputFacets={"provgraph_contribution": ContributionInputDatasetFacet(records=100)})]

The JSON Schemas ship in ``provgraph.service.openlineage`` (``schemas/*.json``).
"""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.generated.base import DatasetFacet, InputDatasetFacet, RunFacet

__all__ = ["ArtifactDatasetFacet", "ContributionInputDatasetFacet", "GeneratorRunFacet"]

_SCHEMA = "urn:provgraph:openlineage:facet:{}:1-0-0"


@attr.define
class GeneratorRunFacet(RunFacet):
    """``provgraph_generator``: the models that generated the run's outputs."""

    models: list[dict[str, Any]] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return _SCHEMA.format("GeneratorRunFacet")


@attr.define
class ArtifactDatasetFacet(DatasetFacet):
    """``provgraph_artifact``: the artifact a dataset is (id, kind, license, records...)."""

    id: str | None = attr.field(default=None)
    kind: str | None = attr.field(default=None)
    license: str | None = attr.field(default=None)
    human: bool | None = attr.field(default=None)
    records: int | None = attr.field(default=None)
    vendor: str | None = attr.field(default=None)
    family: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return _SCHEMA.format("ArtifactDatasetFacet")


@attr.define
class ContributionInputDatasetFacet(InputDatasetFacet):
    """``provgraph_contribution``: how many output records came from this input."""

    records: int = attr.field(default=0)

    @staticmethod
    def _get_schema() -> str:
        return _SCHEMA.format("ContributionInputDatasetFacet")
