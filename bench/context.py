"""What every question needs: the graph and its reference answers, the store, the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from bench.checks import Checks
from bench.enrich import Enriched
from bench.oracle import Oracle
from bench.relational import RelationalBaseline
from bench.servers import ApiServer
from bench.supply_chain import Graph
from provgraph.service.store import Store

__all__ = ["Context", "Dataset"]


@dataclass
class Dataset:
    """One loaded graph (the supply chain or the ladder) with its ids and reference answers."""

    name: str
    graph: Graph
    enriched: Enriched
    oracle: Oracle
    table: str  # its PostgreSQL table
    ids: list[str] = field(init=False)
    index_of: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = self.enriched.ids()
        self.index_of = {ident: i for i, ident in enumerate(self.ids)}

    def closure_ids(self, node: int, direction: str) -> list[str]:
        return sorted(self.ids[i] for i in self.oracle.closure(node, direction).tolist())

    def has_edge(self, child: str, parent: str) -> bool:
        c, p = self.index_of.get(child), self.index_of.get(parent)
        return c is not None and p is not None and self.oracle.has_edge(c, p)


@dataclass
class Context:
    store: Store
    api: ApiServer
    http: httpx.Client
    pg: RelationalBaseline | None
    checks: Checks
    repeat: int
    naive_limit_s: float
    q3_limit_s: float
    q6_seconds: float
    neo4j_uri: str
    size_nodes: int
    seed: int
    prefix: str
    log: Callable[[str], None] = print

    def say(self, message: str) -> None:
        self.log(message)

    @staticmethod
    def artifact_path(artifact_id: str, suffix: str) -> str:
        return f"/api/v1/artifacts/{quote(artifact_id, safe='')}/{suffix}"
