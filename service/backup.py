"""Backups of the graph: ``neo4j-admin database dump|load`` for the managed local server,
and a census (node, relationship, label and type counts) to check a restore against.

Neo4j Community dumps and loads only a stopped database, so for the local server provgraph
stops it, runs the admin tool from the same jars (``org.neo4j.server.startup.
Neo4jAdminCommand``) against the same home and config, and starts it again if it was
running. Docker and remote servers use their own tooling (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from provgraph.service.store import Store

__all__ = ["Census", "census", "graph_contents"]


class Census(BaseModel):
    """What a graph holds, in counts: equal before a dump and after its load."""

    nodes: int
    relationships: int
    labels: list[str]
    types: list[str]


def census(store: Store, *, exclude_prefix: str | None = None, with_audit: bool = True) -> Census:
    """Counts of the whole graph, or of all but the artifacts under ``exclude_prefix``."""
    row = store.query("graph_census", prefix=exclude_prefix, with_audit=with_audit)[0]
    return Census(
        nodes=row["nodes"],
        relationships=row["relationships"],
        labels=sorted(row["labels"]),
        types=sorted(row["types"]),
    )


def graph_contents(store: Store) -> list[dict[str, Any]]:
    """Every node and relationship as plain values (small graphs: to compare two loads of one
    input, e.g. the bulk import against the transactional ingest)."""
    return store.query("graph_contents")
