"""The results: targets (benchmarks.md) checked against the measured figures, a markdown
table of absolute figures and ratios, and the JSON written to ``bench/results``."""

from __future__ import annotations

from typing import Any

__all__ = ["markdown", "targets"]

MIB = 1024 * 1024
RSS_TARGET_BYTES = 250_000_000  # benchmarks.md: API RSS <= 250 MB


def _get(d: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _target(what: str, value: Any, limit: str, met: bool | None) -> dict[str, Any]:
    return {"target": what, "limit": limit, "value": value, "met": met}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    q = results["questions"]
    out: list[dict[str, Any]] = []
    q1 = q.get("Q1")
    if q1:
        api = _get(q1, "api", "p50")
        pg = _get(q1, "postgres", "p50")
        out.append(_target("Q1 API p50 (ms)", api, "<= 50", api is not None and api <= 50))
        ratio = round(pg / api, 2) if pg and api else None
        out.append(
            _target("Q1 PostgreSQL p50 / API p50", ratio, ">= 5", ratio is not None and ratio >= 5)
        )
        only = _get(q1, "api_total_only", "p50")
        ratio = round(pg / only, 2) if pg and only else None
        out.append(
            _target(
                "Q1 PostgreSQL p50 / API total-only p50 (limit=1)", ratio, ">= 5 (context)", None
            )
        )
        # The domain targets are for the closure (ids, as the floor and PostgreSQL compute
        # it); the first page with properties is the context beside them.
        dom = _get(q1, "domain_ids", "p50")
        out.append(
            _target(
                "Q1 domain closure p50 (ms), up-large", dom, "<= 53", dom is not None and dom <= 53
            )
        )
        floor = _get(q1, "floor", "p50")
        ratio = round(dom / floor, 1) if dom and floor else None
        out.append(
            _target(
                "Q1 domain closure p50 / in-memory floor",
                ratio,
                "<= 10",
                ratio is not None and ratio <= 10,
            )
        )
        page = _get(q1, "domain", "p50")
        out.append(_target("Q1 domain first page p50 (ms), up-large", page, "(context)", None))
        out.append(_api_per_10k(q1))
    mid = q.get("Q1-mid")
    if mid:
        dom = _get(mid, "domain_ids", "p50")
        out.append(
            _target("Q1 domain closure p50 (ms), up-mid", dom, "<= 2", dom is not None and dom <= 2)
        )
        page = _get(mid, "domain", "p50")
        out.append(_target("Q1 domain first page p50 (ms), up-mid", page, "(context)", None))
    q3 = q.get("Q3")
    if q3:
        api = _get(q3, "api", "p50")
        out.append(
            _target(
                "Q3 API p50 (ms)",
                api if api is not None else q3.get("status"),
                "<= 150",
                api is not None and api <= 150,
            )
        )
    q7 = q.get("Q7")
    if q7:
        lin = _get(q7, "lineage", "api", "p50")
        lic = _get(q7, "licenses", "api", "p50")
        naive = _get(q7, "lineage", "naive", "timed_out")
        worst = max(v for v in (lin, lic) if v is not None) if (lin or lic) else None
        out.append(
            _target(
                "Q7 API p50, Q1 and Q3 on the ladder (ms)",
                worst,
                "<= 50",
                worst is not None and worst <= 50 and lic is not None,
            )
        )
        out.append(_target("Q7 naive enumeration times out", naive, "true", naive is True))
    q5 = q.get("Q5")
    if q5:
        rate = q5.get("elements_per_s")
        out.append(
            _target(
                "Q5 bulk ingest (elements/s)", rate, ">= 50000", rate is not None and rate >= 50_000
            )
        )
        secs = q5.get("seconds")
        out.append(_target("Q5 load time (s)", secs, "<= 120", secs is not None and secs <= 120))
    q6 = q.get("Q6")
    if q6:
        rps = q6.get("throughput_rps")
        p99 = _get(q6, "latency", "p99")
        out.append(_target("Q6 throughput (req/s)", rps, ">= 200", rps is not None and rps >= 200))
        out.append(_target("Q6 p99 (ms)", p99, "<= 500", p99 is not None and p99 <= 500))
        out.append(_target("Q6 errors", q6.get("errors"), "0", q6.get("errors") == 0))
    cold = q.get("Q6-uncached")
    if cold:
        rps, p99 = cold.get("throughput_rps"), _get(cold, "latency", "p99")
        out.append(_target("Q6 without the answer cache (req/s)", rps, "(context)", None))
        out.append(_target("Q6 without the answer cache, p99 (ms)", p99, "(context)", None))
        out.append(
            _target(
                "Q6 without the answer cache, errors",
                cold.get("errors"),
                "0",
                cold.get("errors") == 0,
            )
        )
    # The target counts the true peak (VmHWM) where the file has it; files written before
    # 2026-12-04 only have RSS sampled between questions, which misses a request's peak.
    mark = _get(results, "api_rss", "largest_process_high_water_bytes")
    sampled = _get(results, "api_rss", "largest_process_peak_bytes")
    peak = mark or sampled
    out.append(
        _target(
            "API RSS peak, largest API process (MiB; "
            + ("high-water mark" if mark else "sampled between questions")
            + ")",
            round(peak / MIB, 1) if peak else None,
            f"<= 250 MB ({RSS_TARGET_BYTES / MIB:.1f} MiB)",
            peak is not None and peak <= RSS_TARGET_BYTES,
        )
    )
    if mark:
        out.append(
            _target(
                "API RSS, largest API process, sampled between questions (MiB)",
                round(sampled / MIB, 1) if sampled else None,
                "(context)",
                None,
            )
        )
    rss = results.get("api_rss_peak_bytes")
    workers = _get(results, "api_rss", "workers")
    out.append(
        _target(
            f"API RSS peak, sum of {workers} workers and the supervisor (MiB, sampled)",
            round(rss / MIB, 1) if rss else None,
            "(context)",
            None,
        )
    )
    return out


def _loop(meta: dict[str, Any]) -> str:
    loop = meta.get("python_loop_s")  # absent from files written before 2026-12-04
    if not loop:
        return ""
    return f"; the fixed Python loop (bench.run.python_loop_s) took {loop[0]} / {loop[1]} s"


def _api_per_10k(q1: dict[str, Any]) -> dict[str, Any]:
    """What the API adds to the domain layer per 10k nodes returned, from the whole
    closure as ids (``/lineage/ids``) against ``lineage_ids`` on the same node."""
    api, dom, size = _get(q1, "api_ids", "p50"), _get(q1, "domain_ids", "p50"), q1.get("closure")
    added = round((api - dom) * 10_000 / size, 2) if api and dom and size else None
    return _target(
        "Q1 API ids p50 - domain ids p50, per 10k nodes (ms)",
        added,
        "<= 10",
        added is not None and added <= 10,
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(a: Any, b: Any) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.1f}x"


def _lat(d: Any) -> str:
    if not isinstance(d, dict) or "p50" not in d:
        return "-"
    return f"{_fmt(d['p50'])} / {_fmt(d['p95'])} / {_fmt(d['p99'])}"


def _total_only(r: dict[str, Any] | None) -> dict[str, Any] | None:
    """The API asked with limit=1: the closure and its size, as PostgreSQL's count(*)."""
    if not r or "api_total_only" not in r:
        return None
    keep = ("node", "closure", "postgres", "floor")
    return {**{k: r[k] for k in keep if k in r}, "api": r["api_total_only"]}


def _ids_only(r: dict[str, Any] | None) -> dict[str, Any] | None:
    """The whole closure as ids: ``lineage_ids`` and ``/lineage/ids``."""
    if not r or "domain_ids" not in r:
        return None
    keep = ("node", "closure", "postgres", "floor")
    return {
        **{k: r[k] for k in keep if k in r},
        "domain": r["domain_ids"],
        "api": r.get("api_ids"),
    }


def markdown(results: dict[str, Any]) -> str:
    q = results["questions"]
    meta = results["meta"]
    lines = [
        f"## provgraph benchmark, size {meta['size']} ({meta['nodes']:,} nodes, "
        f"{meta['edges']:,} edges), {meta['started_at']}",
        "",
        f"load average at start {meta['loadavg_start']}, at end {meta['loadavg_end']}; "
        f"{meta['cpus']} CPUs{_loop(meta)}; repeat {meta['repeat']}; "
        "times in ms (p50 / p95 / p99)",
        "",
        "| question | node | closure | provgraph domain | provgraph API | API cold | Cypher only "
        "(p50) | PostgreSQL | in-memory floor | naive Cypher | PG / API | API / floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows: list[tuple[str, dict[str, Any] | None]] = [
        ("Q1 up-large", q.get("Q1")),
        ("Q1 up-large, total only", _total_only(q.get("Q1"))),
        ("Q1 up-large, closure ids", _ids_only(q.get("Q1"))),
        ("Q1 up-mid", q.get("Q1-mid")),
        ("Q1 up-mid, closure ids", _ids_only(q.get("Q1-mid"))),
        ("Q2 down-large", q.get("Q2")),
        ("Q2 down-large, total only", _total_only(q.get("Q2"))),
        ("Q2 down-large, closure ids", _ids_only(q.get("Q2"))),
        ("Q3 licenses", q.get("Q3")),
        ("Q4 risk", q.get("Q4")),
        ("Q7 ladder Q1", _get(q, "Q7", "lineage")),
        ("Q7 ladder Q3", _get(q, "Q7", "licenses")),
    ]
    for label, r in rows:
        if not r:
            continue
        if r.get("status") not in (None, "ok"):
            lines.append(
                f"| {label} | {r.get('node', '-')} | {_fmt(r.get('closure'))} | "
                f"{r['status']} | | | | | | | | |"
            )
            continue
        naive = r.get("naive")
        naive_text = "-"
        if naive and naive.get("timed_out") is None:
            naive_text = str(naive.get("note", "-"))
        elif naive:
            naive_text = (
                f"timed out at {naive['limit_s']:g} s"
                if naive["timed_out"]
                else f"{_fmt(naive['ms'])} ({naive['paths']:,} paths)"
            )
        api50 = _get(r, "api", "p50")
        pg50, floor50 = _get(r, "postgres", "p50"), _get(r, "floor", "p50")
        cells = [
            label,
            str(r.get("node", "-")),
            _fmt(r.get("closure")),
            _lat(r.get("domain")),
            _lat(r.get("api")),
            _fmt(_get(r, "api", "cold")),
            _fmt(_get(r, "cypher", "p50")),
            _fmt(pg50),
            _fmt(floor50),
            naive_text,
            _ratio(pg50, api50),
            _ratio(api50, floor50),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    q5 = q.get("Q5")
    if q5:
        lines += [
            "",
            f"Q5 bulk ingest: {q5['elements']:,} elements in {q5['seconds']:.1f} s = "
            f"**{q5['elements_per_s']:,.0f} elements/s**; peak memory of the loading process "
            f"{q5['peak_rss_bytes'] / MIB:,.0f} MiB; phases {q5.get('phases_s')}; "
            f"PostgreSQL COPY + indexes {_fmt(results.get('postgres_load_s'))} s; "
            f"method: {q5.get('method', 'transactional')}",
        ]
    tx = q.get("Q5-transactional")
    if tx:
        lines += [
            "",
            f"Q5 transactional ingest (ingest_lines, {tx['graph_nodes']:,}-node graph, empty "
            f"database): {tx['elements']:,} elements in {tx['seconds']:.1f} s = "
            f"**{tx['elements_per_s']:,.0f} elements/s**; peak memory "
            f"{tx['peak_rss_bytes'] / MIB:,.0f} MiB; phases {tx.get('phases_s')}",
        ]
    for name in ("Q6-uncached", "Q6"):
        q6 = q.get(name)
        if not q6:
            continue
        how = (
            "every request `Cache-Control: no-cache`"
            if name == "Q6-uncached"
            else "the API's epoch answer cache on, as clients get it"
        )
        lines += [
            "",
            f"{name} {q6['clients']} concurrent clients for {q6['seconds']:.0f} s, {how}: "
            f"**{q6['throughput_rps']:,.1f} req/s**, latency {_lat(q6['latency'])}, "
            f"errors {q6['errors']} (pool {q6['pool']} nodes, Q3 on the "
            f"{q6['license_pool']} with <= {q6['license_max_ancestors']} ancestors, "
            f"Q1 page {q6['page']}; {q6.get('checked_answers', 0):,} sampled Q1 totals "
            f"checked; CPU a request: load generator "
            f"{q6.get('client_cpu_ms_per_request', '-')} ms, API "
            f"{q6.get('api_cpu_ms_per_request', '-')} ms, Neo4j "
            f"{q6.get('neo4j_cpu_ms_per_request', '-')} ms)",
        ]
    rss = results.get("api_rss_peak_bytes")
    per = _get(results, "api_rss", "per_process_peak_bytes") or {}
    marks = _get(results, "api_rss", "per_process_high_water_bytes") or {}
    if rss:
        each = ", ".join(f"{value / MIB:,.0f}" for value in per.values())
        line = f"API RSS sampled: {rss / MIB:,.0f} MiB in all at most; per process (MiB): {each}"
        if marks:
            line += "; high-water marks (MiB): " + ", ".join(
                f"{value / MIB:,.0f}" for value in marks.values()
            )
        lines += ["", line]
    lines += ["", "| target | limit | measured | met |", "| --- | --- | --- | --- |"]
    for t in results["targets"]:
        met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
        lines.append(f"| {t['target']} | {t['limit']} | {_fmt(t['value'])} | {met} |")
    failures = results["checks"]["failures"]
    lines += [
        "",
        f"correctness: {results['checks']['passed']} checks passed, "
        f"{len(failures)} failed" + ("" if not failures else ": " + "; ".join(failures[:10])),
    ]
    return "\n".join(lines) + "\n"
