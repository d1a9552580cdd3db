"""Q3 (licenses and conflicts with explanation paths), Q4 (synthetic risk, when the risk
module exists) and Q6 (16 concurrent API clients)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np

from bench.context import Context, Dataset
from bench.load import Answer, run_load
from bench.servers import process_cpu_seconds, server_process
from bench.timing import summary, timed_call
from provgraph.service.errors import ProvgraphError

__all__ = ["concurrency_question", "license_question", "risk_question"]

RISK_MODULE = "provgraph.service.risk"
RISK_FUNCTIONS = ("risk_report", "synthetic_risk", "risk")


def license_question(ctx: Context, qid: str, data: Dataset, node: int) -> dict[str, Any]:
    """The domain report runs in a child process under ``q3_limit_s``; the API is asked only
    when the domain answered in time (a request past the limit would keep the API busy)."""
    root = data.ids[node]
    members = set(data.closure_ids(node, "up")) | {root}
    result: dict[str, Any] = {"question": qid, "node": root, "closure": len(members) - 1}
    command = [
        sys.executable,
        "-m",
        "bench.child",
        "licenses",
        ctx.neo4j_uri,
        root,
        str(ctx.repeat),
        str(ctx.q3_limit_s),
    ]
    ctx.say(f"{qid} licenses of {root} (ancestry {len(members) - 1:,})")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=ctx.q3_limit_s, check=False
        )
    except subprocess.TimeoutExpired:
        ctx.say(f"{qid}: the domain report did not finish in {ctx.q3_limit_s:g} s")
        result["status"] = f"not finished: domain report ran past {ctx.q3_limit_s:g} s"
        return result
    if done.returncode != 0 and "QueryTimeout" in done.stderr:
        # Not a wrong answer: the ancestry query hit PROVGRAPH_QUERY_TIMEOUT (30 s).
        ctx.say(f"{qid}: the domain report's ancestry query ran past the query time limit")
        result["status"] = "not finished: the ancestry query ran past the 30 s query limit"
        return result
    if done.returncode != 0 and "MemoryError" in done.stderr:
        ctx.say(f"{qid}: the domain report ran out of its memory cap")
        result["status"] = "not finished: domain report ran out of its 4 GB memory cap"
        return result
    if done.returncode != 0:
        # The whole traceback to the log: the check's message keeps only its end.
        ctx.say(f"{qid}: the domain report failed; its stderr:\n{done.stderr}")
        ctx.checks.true(qid, f"domain report failed: {done.stderr[-500:]}", False)
        result["status"] = "failed"
        return result
    child = json.loads(done.stdout)
    report = child["report"]
    _check_report(ctx, qid, data, root, members, report, "domain")
    result["domain"] = {**summary(child["times_ms"]), "cold": child["cold_ms"]}
    result["clauses"] = len(report["clauses"])
    result["conflicts"] = len(report["conflicts"])

    path = ctx.artifact_path(root, "licenses")
    budget = time.perf_counter() + ctx.q3_limit_s
    times: list[float] = []
    body: dict[str, Any] = {}
    for _ in range(ctx.repeat + 1):
        response, ms = timed_call(lambda: ctx.http.get(path, timeout=ctx.q3_limit_s))
        ctx.checks.equal(qid, "API status", response.status_code, 200)
        times.append(ms)
        if not body:
            body = response.json()
        if time.perf_counter() + ms / 1000 > budget:
            break
    _check_report(ctx, qid, data, root, members, body, "API")
    result["api"] = {**summary(times[1:] or times), "cold": round(times[0], 3)}
    result["status"] = "ok"
    ctx.api.rss()
    return result


def _check_report(
    ctx: Context,
    qid: str,
    data: Dataset,
    root: str,
    members: set[str],
    report: dict[str, Any],
    where: str,
) -> None:
    ctx.checks.true(qid, f"{where}: report incomplete", bool(report.get("complete")))
    for key in ("clauses", "conflicts"):
        ctx.checks.paths(
            f"{qid} {where} {key}",
            root,
            report.get(key, []),
            has_edge=data.has_edge,
            members=members,
        )


def risk_question(ctx: Context, data: Dataset, node: int) -> dict[str, Any]:
    """Q4 runs once ``provgraph.service.risk`` exists (another issue builds it)."""
    if importlib.util.find_spec(RISK_MODULE) is None:
        return {"question": "Q4", "status": "not run: risk module absent"}
    module = importlib.import_module(RISK_MODULE)
    function = next((getattr(module, n) for n in RISK_FUNCTIONS if hasattr(module, n)), None)
    if function is None:
        names = ", ".join(RISK_FUNCTIONS)
        return {"question": "Q4", "status": f"not run: {RISK_MODULE} has none of {names}"}
    root = data.ids[node]
    expected = int(data.oracle.generations()[node])
    try:
        answer, cold = timed_call(lambda: function(ctx.store, root))
    except ProvgraphError as exc:  # e.g. the query time limit: not an answer, not a wrong one
        return {"question": "Q4", "node": root, "status": f"not finished: {exc}"}
    got = answer.get("synthetic_generations") if isinstance(answer, dict) else None
    got = getattr(answer, "synthetic_generations", got)
    ctx.checks.equal("Q4", "synthetic_generations", got, expected)
    times = [timed_call(lambda: function(ctx.store, root))[1] for _ in range(ctx.repeat)]
    api_times: list[float] = []
    path = ctx.artifact_path(root, "risk")
    for _ in range(ctx.repeat + 1):
        response, ms = timed_call(lambda: ctx.http.get(path))
        ctx.checks.equal("Q4", "API status", response.status_code, 200)
        api_times.append(ms)
    return {
        "question": "Q4",
        "node": root,
        "status": "ok",
        "synthetic_generations": expected,
        "domain": {**summary(times), "cold": round(cold, 3)},
        "api": {**summary(api_times[1:]), "cold": round(api_times[0], 3)},
    }


def concurrency_question(
    ctx: Context,
    data: Dataset,
    *,
    clients: int = 16,
    pool_size: int = 256,
    page: int = 100,
    license_max_ancestors: int = 200,
    check_every: int = 10,
    fresh: bool = False,
) -> dict[str, Any]:
    """Q6: ``clients`` kept-alive connections (bench/load.py) for ``q6_seconds``; every
    request picks a random node of a seeded pool and asks Q1 (first page of ``page`` plus
    the total) or Q3 (licenses) with equal odds. Q3 goes only to pool nodes with at most
    ``license_max_ancestors`` ancestors: see Q3 for why larger reports cannot be served at
    this rate. Errors are non-200 answers and transport failures; every ``check_every``-th
    Q1 answer's total is checked against the in-memory closure. ``fresh``: every request
    says ``Cache-Control: no-cache``, so none is answered from the API's epoch cache."""
    name = "Q6-uncached" if fresh else "Q6"
    rng = np.random.default_rng(ctx.seed + 6)
    pool = rng.choice(data.graph.n, min(pool_size, data.graph.n), replace=False).tolist()
    expected = {data.ids[n]: int(data.oracle.closure(n, "up").size) for n in pool}
    small = [n for n in pool if expected[data.ids[n]] <= license_max_ancestors]
    plans = rng.random(100_000) < 0.5
    picks = rng.integers(0, 1 << 30, 100_000)
    counter = [0]
    sampled = {"seen": 0, "checked": 0, "wrong": 0, "unreadable": 0}
    rss: list[int] = []
    lineage_root: dict[str, str] = {}

    def next_target() -> str:
        k = counter[0] % picks.size
        counter[0] += 1
        licenses = bool(plans[k]) and bool(small)
        choices = small if licenses else pool
        root = data.ids[choices[int(picks[k]) % len(choices)]]
        if licenses:
            return ctx.artifact_path(root, "licenses")
        target = f"{ctx.artifact_path(root, 'lineage')}?limit={page}"
        lineage_root[target] = root
        return target

    def on_answer(answer: Answer) -> None:
        root = lineage_root.get(answer.target)
        if root is None or answer.status != 200:
            return
        sampled["seen"] += 1
        if sampled["seen"] % check_every:
            return
        sampled["checked"] += 1
        try:
            total = json.loads(answer.body)["total"]
        except (ValueError, KeyError):
            sampled["unreadable"] += 1
            return
        if total != expected[root]:
            sampled["wrong"] += 1

    api_processes, neo4j = ctx.api.processes(), server_process(ctx.neo4j_uri)
    api_cpu, neo4j_cpu = (
        process_cpu_seconds(api_processes),
        process_cpu_seconds([neo4j] if neo4j else []),
    )
    load = run_load(
        ctx.api.base_url,
        clients=clients,
        seconds=ctx.q6_seconds,
        next_target=next_target,
        on_answer=on_answer,
        every_quarter_second=lambda: rss.append(ctx.api.rss()),
        headers={"Cache-Control": "no-cache"} if fresh else None,
    )
    api_cpu = process_cpu_seconds(api_processes) - api_cpu
    neo4j_cpu = process_cpu_seconds([neo4j] if neo4j else []) - neo4j_cpu
    per_request = 1000 / max(load.answers, 1)
    ctx.checks.true(name, "sampled Q1 answers were checked", sampled["checked"] > 0)
    ctx.checks.equal(name, "sampled Q1 totals that differ from the closure", sampled["wrong"], 0)
    ctx.checks.equal(name, "sampled Q1 answers that are not JSON", sampled["unreadable"], 0)
    return {
        "question": "Q6",
        "answer_cache": not fresh,
        "clients": clients,
        "seconds": round(load.seconds, 3),
        "requests": load.answers,
        "throughput_rps": round(load.answers / load.seconds, 1),
        "latency": summary(load.latencies_ms),
        "errors": len(load.errors),
        "error_kinds": sorted(set(load.errors))[:10],
        "pool": len(pool),
        "license_pool": len(small),
        "license_max_ancestors": license_max_ancestors,
        "page": page,
        "checked_answers": sampled["checked"],
        "client": "bench/load.py (asyncio, kept-alive connections)",
        "client_cpu_ms_per_request": round(load.client_cpu_s * per_request, 3),
        # Where a request's CPU goes (all cores together); Neo4j None when it runs elsewhere.
        "api_cpu_ms_per_request": round(api_cpu * per_request, 3),
        "neo4j_cpu_ms_per_request": round(neo4j_cpu * per_request, 3) if neo4j else None,
        "api_rss_peak_bytes": max(rss) if rss else None,
    }
