"""One benchmark run: generate, load, ask Q1-Q7 every way, compare, report.

Everything is measured in one run on one graph, side by side, so the ratios hold even on a
noisy machine (benchmarks.md). The run exits 1 if any answer disagrees with the in-memory
reference, 2 on bad arguments, 3 if a prerequisite (Neo4j, PostgreSQL) is missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.checks import Checks
from bench.context import Context, Dataset
from bench.enrich import enrich, write_ndjson
from bench.lineage_questions import lineage_question, naive_enumeration
from bench.oracle import Oracle
from bench.other_questions import concurrency_question, license_question, risk_question
from bench.relational import RelationalBaseline
from bench.report import markdown, targets
from bench.servers import (
    ApiServer,
    BenchSetupError,
    PostgresServer,
    neo4j_for_bench,
    run_json_module,
)
from bench.supply_chain import (
    LADDER_DIGESTS,
    REFERENCE_DIGESTS,
    diamond_ladder,
    digest,
    generate,
    query_nodes,
)
from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = ["SIZES", "RunOptions", "run"]

SIZES = {"S": 10_000, "M": 100_000, "L": 1_000_000}
# The transactional ingest (Q5-transactional) is measured on at most this many nodes of the
# same generator (about 100k elements), each load into an empty database of its own.
TRANSACTIONAL_NODES = 25_000
RESULTS_DIR = Path(__file__).parent / "results"
PYTHON_LOOP_ITERATIONS = 20_000_000  # ~1 s of CPU on a fast core, ~5 s on a slow one


@dataclass
class RunOptions:
    nodes: int
    size_label: str
    ladder: int = 40
    repeat: int = 20
    out: Path | None = RESULTS_DIR
    seed: int = 42
    prefix: str = "bench:"
    naive_limit_s: float = 60.0
    q3_limit_s: float = 120.0
    q6_seconds: float = 20.0
    heap: str = "2g"
    pagecache: str = "2g"
    postgres: bool = True
    workdir: Path | None = None
    settings: Settings | None = None  # a Neo4j to use as it is (default: NEO4J_URI or a fresh one)


def _say(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def _child(*args: str) -> dict[str, Any]:
    return run_json_module("bench.child", *args)


def _ingest(uri: str, path: Path) -> dict[str, Any]:
    """The transactional ingest, in a child process (its peak memory is its own)."""
    return _child("ingest", uri, str(path))


def _bulk(home: Path, path: Path) -> dict[str, Any]:
    """The bulk initial load into the empty managed server of ``home``."""
    return _child("bulk", str(home), str(path))


def _transactional(options: RunOptions, work: Path, data_file: Path) -> dict[str, Any]:
    """Q5's transactional figure: ingest_lines on (a slice of) the graph, into an empty
    server of its own (the main one takes the bulk load, which needs an empty database)."""
    nodes = min(options.nodes, TRANSACTIONAL_NODES)
    path = data_file
    if nodes < options.nodes:
        path = work / "transactional.ndjson"
        sliced = generate(nodes, seed=options.seed)
        write_ndjson(enrich(sliced, prefix=options.prefix, seed=options.seed), str(path))
    home = work / "transactional"
    with neo4j_for_bench(home, heap=options.heap, pagecache=options.pagecache, log=_say) as tx:
        assert tx.neo4j_uri
        _say(f"Q5-transactional: ingest_lines of {nodes:,} nodes into an empty database")
        measured = _ingest(tx.neo4j_uri, path)
    result = {"question": "Q5-transactional", "graph_nodes": nodes, **measured}
    shutil.rmtree(home, ignore_errors=True)
    if path != data_file:
        path.unlink()
    _say(
        f"Q5-transactional: {result['elements_per_s']:,.0f} elements/s in {result['seconds']:.1f} s"
    )
    return result


def python_loop_s() -> float:
    """CPU seconds of a fixed pure-Python loop: how fast this machine runs Python now, so
    runs on different machines (or on one shared machine at different hours) compare."""
    start = time.process_time()
    total = 0
    for i in range(PYTHON_LOOP_ITERATIONS):
        total += i
    return round(time.process_time() - start, 2)


def run(options: RunOptions) -> tuple[dict[str, Any], int]:
    """Run everything; returns the results and the exit code."""
    started = dt.datetime.now(dt.UTC)
    load_start = os.getloadavg()
    loop_start = python_loop_s()
    checks = Checks()
    _say(f"generating {options.nodes:,} nodes (seed {options.seed})")
    graph = generate(options.nodes, seed=options.seed)
    sha = digest(graph)
    reference = REFERENCE_DIGESTS.get(options.nodes)
    if options.seed == 42 and reference is not None and sha != reference:
        raise BenchSetupError(
            f"graph digest {sha} differs from the reference generator's {reference}"
        )
    queries = query_nodes(graph)
    main = Dataset(
        "supply-chain",
        graph,
        enrich(graph, prefix=options.prefix, seed=options.seed),
        Oracle(graph),
        "edges",
    )
    ladder = None
    if options.ladder:
        lg = diamond_ladder(options.ladder)
        want = LADDER_DIGESTS.get(options.ladder)
        if want is not None and digest(lg) != want:
            raise BenchSetupError("ladder digest differs from the reference generator's")
        ladder = Dataset(
            "ladder",
            lg,
            enrich(lg, prefix=f"{options.prefix}ladder:", seed=options.seed),
            Oracle(lg),
            "ladder_edges",
        )

    results: dict[str, Any] = {"questions": {}}
    q = results["questions"]
    with tempfile.TemporaryDirectory(prefix="provgraph-bench-", dir=options.workdir) as tmp:
        work = Path(tmp)
        data_file = work / "supply-chain.ndjson"
        lines = write_ndjson(main.enriched, str(data_file))
        _say(f"wrote {lines:,} NDJSON lines ({data_file.stat().st_size / 1e6:,.0f} MB)")
        # The bulk load needs the managed server (not NEO4J_URI, not a given server).
        bulk = options.settings is None and not Settings.from_env().neo4j_uri
        if bulk:
            q["Q5-transactional"] = _transactional(options, work, data_file)
        pg_server = PostgresServer.start() if options.postgres else None
        try:
            server = (
                contextlib.nullcontext(options.settings)
                if options.settings is not None
                else neo4j_for_bench(work, heap=options.heap, pagecache=options.pagecache, log=_say)
            )
            with server as settings:
                assert settings.neo4j_uri
                if bulk:
                    _say("Q5: bulk initial load (service.bulk_ingest: neo4j-admin import)")
                    q["Q5"] = {"question": "Q5", **_bulk(settings.home, data_file)}
                else:
                    _say("Q5: bulk ingest through provgraph.service.ingest")
                    q["Q5"] = {"question": "Q5", **_ingest(settings.neo4j_uri, data_file)}
                _say(
                    f"Q5: {q['Q5']['elements_per_s']:,.0f} elements/s in {q['Q5']['seconds']:.1f} s"
                )
                if ladder is not None:
                    ladder_file = work / "ladder.ndjson"
                    write_ndjson(ladder.enriched, str(ladder_file))
                    _ingest(settings.neo4j_uri, ladder_file)
                pg = None
                if pg_server is not None:
                    pg = RelationalBaseline(pg_server.conninfo)
                    results["postgres_load_s"] = round(pg.load(main.table, graph), 3)
                    if ladder is not None:
                        pg.load(ladder.table, ladder.graph)
                    results["postgres_version"] = pg_server.version()
                    _say(f"PostgreSQL loaded in {results['postgres_load_s']:.1f} s")
                _questions(options, settings, main, ladder, queries, pg, checks, results)
                if pg is not None:
                    pg.close()
        finally:
            if pg_server is not None:
                pg_server.stop()

    results["meta"] = {
        "size": options.size_label,
        "nodes": graph.n,
        "edges": int(graph.child.size),
        "sha256": sha,
        "seed": options.seed,
        "ladder": options.ladder,
        "repeat": options.repeat,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python_loop_s": [loop_start, python_loop_s()],  # at the start and at the end
        "python": platform.python_version(),
        "numpy": np.__version__,
        "neo4j_heap": options.heap,
        "neo4j_pagecache": options.pagecache,
        "query_nodes": {k: vars(v) for k, v in queries.items()},
        "generator": "bench/supply_chain.py, ported from shared/bench/supply_chain_gen.py",
    }
    results["checks"] = {"passed": checks.passed, "failures": checks.failures}
    results["targets"] = targets(results)
    return results, (1 if checks.failures else 0)


def _questions(
    options: RunOptions,
    settings: Settings,
    main: Dataset,
    ladder: Dataset | None,
    queries: dict[str, Any],
    pg: RelationalBaseline | None,
    checks: Checks,
    results: dict[str, Any],
) -> None:
    assert settings.neo4j_uri
    q = results["questions"]
    api = ApiServer(settings)
    try:
        api.wait_ready()
        with (
            Store.connect(settings) as store,
            httpx.Client(base_url=api.base_url, timeout=120) as http,
        ):
            results["lineage_index"] = _warm_index(store, http, main.ids[queries["up-large"].node])
            ctx = Context(
                store=store,
                api=api,
                http=http,
                pg=pg,
                checks=checks,
                repeat=options.repeat,
                naive_limit_s=options.naive_limit_s,
                q3_limit_s=options.q3_limit_s,
                q6_seconds=options.q6_seconds,
                neo4j_uri=settings.neo4j_uri,
                size_nodes=options.nodes,
                seed=options.seed,
                prefix=options.prefix,
                log=_say,
            )

            def asked(answer: dict[str, Any]) -> dict[str, Any]:
                # Which question leaves a worker large (glibc keeps what a request freed).
                api.rss()
                answer["api_rss_largest_process_after_bytes"] = api.largest_now
                answer["api_high_water_largest_process_after_bytes"] = api.largest_high_water
                return answer

            up_large, up_mid, down = queries["up-large"], queries["up-mid"], queries["down-large"]
            q["Q1"] = asked(lineage_question(ctx, "Q1", main, up_large.node, "up"))
            q["Q1-mid"] = asked(lineage_question(ctx, "Q1-mid", main, up_mid.node, "up"))
            q["Q1-mid"]["naive"] = (
                naive_enumeration(ctx, main.ids[up_mid.node], up_mid.closure)
                if options.nodes <= 100_000
                else {"timed_out": None, "note": "skipped at this size"}
            )
            q["Q2"] = asked(lineage_question(ctx, "Q2", main, down.node, "down"))
            q["Q3"] = asked(license_question(ctx, "Q3", main, up_large.node))
            q["Q4"] = asked(risk_question(ctx, main, up_large.node))
            if ladder is not None:
                bottom = int(ladder.graph.params["bottom"])
                q["Q7"] = {
                    "question": "Q7",
                    "lineage": lineage_question(ctx, "Q7", ladder, bottom, "up", naive=True),
                    "licenses": license_question(ctx, "Q7-licenses", ladder, bottom),
                }
                asked(q["Q7"])
            # First without the API's answer cache (every request computed: the query path
            # under load), then as clients get it (repeated questions kept per epoch).
            for name, fresh in (("Q6-uncached", True), ("Q6", False)):
                _say(f"{name}: 16 clients for {options.q6_seconds:g} s")
                q[name] = asked(concurrency_question(ctx, main, fresh=fresh))
                _say(f"{name}: {q[name]['throughput_rps']:,.1f} req/s, {q[name]['errors']} errors")
            api.rss()
    finally:
        results["api_rss_peak_bytes"] = api.peak_rss
        results["api_rss"] = api.rss_report()
        api.stop()


def _warm_index(store: Store, http: httpx.Client, some_id: str) -> dict[str, Any]:
    """Build the lineage index in this process and let the API build its own (the first
    question after a write is answered by Cypher while it builds); wait for both."""
    from provgraph.service.lineage_index import index_for

    index = index_for(store)
    row = store.query("lineage_epoch")[0]
    epoch, edges = int(row["epoch"]), int(row["edges"])
    if edges < index.min_edges:
        return {"state": f"off: {edges:,} lineage edges, fewer than {index.min_edges:,}"}
    # The API builds its index in the background from its first question; this process
    # builds its own meanwhile.
    start = time.perf_counter()
    http.get(Context.artifact_path(some_id, "lineage"), params={"limit": 1})
    index.rebuild(store)
    info: dict[str, Any] = {"domain_build_s": round(time.perf_counter() - start, 3)}
    info["domain"] = index.status()
    status: dict[str, Any] = {}
    # Each API worker builds its own index; a new connection may reach any of them, so
    # ask on new connections until a dozen in a row say built.
    ready_in_a_row = 0
    while time.perf_counter() < start + 900 and ready_in_a_row < 12:
        status = httpx.get(http.base_url.join("/readyz")).json().get("lineage_index", {})
        built = not status.get("building") and status.get("epoch") == epoch
        ready_in_a_row = ready_in_a_row + 1 if built else 0
        time.sleep(0.05 if built else 0.5)
    info["api_build_s"] = round(time.perf_counter() - start, 3)
    info["api"] = status
    _say(f"lineage index ready: {info}")
    return info


def write_results(results: dict[str, Any], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    day = results["meta"]["started_at"][:10]
    path = out / f"{day}-{results['meta']['size']}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def main_run(options: RunOptions) -> int:
    try:
        results, code = run(options)
    except BenchSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if options.out is not None:  # first: a report bug must not lose a long run
        _say(f"results written to {write_results(results, options.out)}")
    print(markdown(results))
    for failure in results["checks"]["failures"]:
        print(f"WRONG ANSWER: {failure}", file=sys.stderr)
    return code
