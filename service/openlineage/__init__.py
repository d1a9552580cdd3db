"""OpenLineage receiver: RunEvents (as Marquez accepts them) become provgraph lineage.

``events`` holds the pydantic models of the part of the OpenLineage 2 spec provgraph reads
(extra members are allowed, as the spec requires); ``mapping`` turns one event into ingest
records; ``schemas/`` ships the JSON Schemas of provgraph's custom facets
(docs/openlineage.md).
"""

from provgraph.service.openlineage.events import RunEvent
from provgraph.service.openlineage.mapping import FACET_SCHEMAS, ingest_run_event, to_records

__all__ = ["FACET_SCHEMAS", "RunEvent", "ingest_run_event", "to_records"]
