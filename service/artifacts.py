"""Single artifacts and edges: read one, upsert one, add one edge, count the graph."""

from __future__ import annotations

from provgraph.service.errors import CycleRefused, IngestRejected, InvalidInput, NotFound
from provgraph.service.ingest import ingest_records
from provgraph.service.models import ArtifactDetail, EdgeRecord, IngestReport, NodeRecord, Stats
from provgraph.service.records import detail_from_row
from provgraph.service.store import Store

__all__ = ["add_edge", "get_artifact", "stats", "upsert_artifact"]


def get_artifact(store: Store, artifact_id: str) -> ArtifactDetail:
    rows = store.query("get_artifact", id=artifact_id)
    if not rows:
        raise NotFound(artifact_id)
    row = rows[0]
    return detail_from_row({**row["artifact"], "kind": row["kind"]}, row["licenses"])


def upsert_artifact(store: Store, record: NodeRecord) -> tuple[ArtifactDetail, bool]:
    """Create or update one artifact; returns it and whether it was created."""
    existed = bool(store.query("artifact_kinds", ids=[record.id]))
    try:
        ingest_records(store, nodes=[record], source="api")
    except IngestRejected as exc:
        raise InvalidInput(exc.errors[0].reason) from None  # one record: no line numbers
    return get_artifact(store, record.id), not existed


def add_edge(store: Store, edge: EdgeRecord) -> IngestReport:
    """Add (or update) one lineage edge; both ends must exist. Refuses cycles (CycleRefused)."""
    for end in (edge.from_, edge.to):
        if not store.query("artifact_kinds", ids=[end]):
            raise NotFound(end)
    try:
        report = ingest_records(store, edges=[edge], source="api")
    except CycleRefused as exc:
        raise CycleRefused(exc.path) from None  # one edge: a line number would only confuse
    except IngestRejected as exc:
        raise InvalidInput(exc.errors[0].reason) from None
    if report.skipped:
        raise InvalidInput(report.skipped[0]["reason"])
    return report


def stats(store: Store) -> Stats:
    row = store.query("stats")[0]
    return Stats(
        nodes=dict(sorted(row["nodes"].items())),
        relationships=dict(sorted(row["relationships"].items())),
    )
