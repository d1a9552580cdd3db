"""Q1 (upstream closure), Q2 (downstream impact) and the lineage half of Q7, each through
the domain layer and the HTTP API, with the PostgreSQL, naive-Cypher and in-memory
baselines on the same node. Q1's API answer is the lineage endpoint's first page (the
default limit, 100 nodes with all their properties, and the edges among them) plus the
exact total; until 2026-12-02 the default, and so Q1's page, was 1,000 nodes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bench.context import Context, Dataset
from bench.timing import summary, timed, timed_call
from provgraph.service import lineage as domain
from provgraph.service.errors import QueryTimeout
from provgraph.service.models import Direction
from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = ["PAGE", "lineage_question", "naive_enumeration"]

PAGE = domain.DEFAULT_LIMIT
CYPHER_REPEAT = 5
# The API keeps answers about now per graph epoch (service/api/answers.py): a repeated
# question would measure that cache. Q1, Q2 and Q7 measure the query path; Q6 both.
FRESH = {"Cache-Control": "no-cache"}
SLOW_BUDGET_S = 30.0  # repeats of the slow ways (Cypher alone, PostgreSQL) stop after this


def lineage_question(
    ctx: Context, qid: str, data: Dataset, node: int, direction: str, *, naive: bool = False
) -> dict[str, Any]:
    """Time one closure question every way and check every answer against the oracle."""
    root = data.ids[node]
    expected = data.closure_ids(node, direction)
    want_page = expected[:PAGE]
    way = Direction.UPSTREAM if direction == "up" else Direction.DOWNSTREAM
    label = f"{qid} {direction} {root}"
    ctx.say(f"{label}: closure {len(expected):,}")

    def check(total: int, page: list[str], where: str) -> None:
        ctx.checks.equal(qid, f"{where} total", total, len(expected))
        ctx.checks.equal(qid, f"{where} first page", page, want_page)

    def via_domain() -> Any:
        return domain.lineage(ctx.store, root, direction=way, limit=PAGE)

    first, cold_ms = timed_call(via_domain)
    check(first.total, [n.id for n in first.nodes], "domain")
    answer, domain_ms = timed(via_domain, ctx.repeat)
    check(answer.total, [n.id for n in answer.nodes], "domain (warm)")

    # The closure itself as ids (the whole answer, no properties): what the in-memory floor
    # and PostgreSQL's count(*) compute, so the like-for-like figure for them.
    def via_domain_ids() -> Any:
        return domain.lineage_ids(ctx.store, root, direction=way)

    closure, ids_ms = timed(via_domain_ids, ctx.repeat)
    ctx.checks.equal(qid, "domain closure ids", closure.ids, expected)

    # The same question with as_of set: always the Cypher query (the reference answer).
    def via_cypher() -> Any:
        return domain.lineage(ctx.store, root, direction=way, limit=PAGE, as_of=datetime.now(UTC))

    answer, cypher_ms = timed(via_cypher, min(ctx.repeat, CYPHER_REPEAT), SLOW_BUDGET_S)
    check(answer.total, [n.id for n in answer.nodes], "Cypher")

    path = ctx.artifact_path(root, "lineage")
    params = {"direction": way.value, "limit": PAGE}

    def via_api() -> Any:
        response = ctx.http.get(path, params=params, headers=FRESH)
        response.raise_for_status()
        return response

    response, api_cold_ms = timed_call(via_api)
    body = response.json()
    check(body["total"], [n["id"] for n in body["nodes"]], "API")
    response, api_ms = timed(via_api, ctx.repeat)
    body = response.json()
    check(body["total"], [n["id"] for n in body["nodes"]], "API (warm)")

    # The closure and its exact size with a one-node page: what PostgreSQL's count(*) does.
    def via_api_total() -> Any:
        response = ctx.http.get(path, params={"direction": way.value, "limit": 1}, headers=FRESH)
        response.raise_for_status()
        return response

    small, total_ms = timed(via_api_total, ctx.repeat)
    ctx.checks.equal(qid, "API total-only total", small.json()["total"], len(expected))

    # The whole closure as ids over HTTP: what the API adds per node returned.
    def via_api_ids() -> Any:
        response = ctx.http.get(
            ctx.artifact_path(root, "lineage/ids"), params={"direction": way.value}
        )
        response.raise_for_status()
        return response

    whole, api_ids_ms = timed(via_api_ids, ctx.repeat)
    ctx.checks.equal(qid, "API closure ids", whole.json()["ids"], expected)
    edges_ok = all(data.has_edge(e["from"], e["to"]) for e in body["edges"])
    ctx.checks.true(qid, "API page edges are lineage edges", edges_ok)
    ctx.api.rss()

    result: dict[str, Any] = {
        "question": qid,
        "node": root,
        "direction": direction,
        "closure": len(expected),
        "page": len(body["nodes"]),
        "page_edges": len(body["edges"]),
        "domain": {**summary(domain_ms), "cold": round(cold_ms, 3)},
        "domain_ids": summary(ids_ms),
        "cypher": summary(cypher_ms),
        "api": {**summary(api_ms), "cold": round(api_cold_ms, 3)},
        "api_total_only": summary(total_ms),
        "api_ids": summary(api_ids_ms),
        "floor": summary(data.oracle.floor_ms(node, direction, ctx.repeat)),
    }
    if ctx.pg is not None:
        size, pg_ms = ctx.pg.timed(data.table, node, direction, ctx.repeat, SLOW_BUDGET_S)
        ctx.checks.equal(qid, "PostgreSQL closure size", size, len(expected))
        result["postgres"] = summary(pg_ms)
    if naive:
        result["naive"] = naive_enumeration(ctx, root, len(expected))
    return result


def naive_enumeration(ctx: Context, root: str, expected: int) -> dict[str, Any]:
    """The path-enumerating Cypher (cypher/bench_naive_upstream.cypher) under a time limit."""
    settings = Settings(neo4j_uri=ctx.neo4j_uri, query_timeout_s=ctx.naive_limit_s)
    with Store.connect(settings) as store:
        try:
            rows, ms = timed_call(lambda: store.query("bench_naive_upstream", id=root))
        except QueryTimeout:
            ctx.say(f"naive enumeration from {root}: stopped at the {ctx.naive_limit_s:g} s limit")
            return {"timed_out": True, "limit_s": ctx.naive_limit_s}
    closure, paths = int(rows[0]["closure"]), int(rows[0]["paths"])
    ctx.checks.equal("naive", "closure size", closure, expected)
    return {"timed_out": False, "limit_s": ctx.naive_limit_s, "ms": round(ms, 3), "paths": paths}
