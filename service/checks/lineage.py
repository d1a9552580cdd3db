"""Checks seen from the lineage: an artifact's latest checks, or those of its ancestry or
impact (a model's training data, say: was any of it contaminated?)."""

from __future__ import annotations

from provgraph.service import lineage
from provgraph.service.artifacts import get_artifact
from provgraph.service.checks.graph import latest_checks, latest_checks_of
from provgraph.service.checks.models import CheckSummary
from provgraph.service.models import Direction
from provgraph.service.store import Store

__all__ = ["lineage_checks"]


def lineage_checks(
    store: Store, artifact_id: str, *, direction: Direction | None = None, limit: int = 5
) -> list[CheckSummary]:
    """The artifact's ``limit`` latest checks; with ``direction``, also the latest check of
    each artifact in its lineage (first lineage page, up to 1,000 artifacts)."""
    get_artifact(store, artifact_id)  # NotFound for an unknown id
    own = latest_checks(store, artifact_id, limit=limit)
    if direction is None:
        return own
    answer = lineage.lineage(store, artifact_id, direction=direction, limit=1000)
    found = latest_checks_of(store, [node.id for node in answer.nodes])
    return own + [found[node_id] for node_id in sorted(found)]
