"""Work the benchmark runs in a child process: a bulk ingest (so its peak memory is its own)
and domain-layer license reports (so a report that runs past its time limit can be stopped).

    python -m bench.child ingest URI FILE
    python -m bench.child bulk HOME FILE      (neo4j-admin import into the managed server of HOME)
    python -m bench.child licenses URI ID REPEAT BUDGET_S

Each prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from provgraph.service.models import IngestReport
from provgraph.service.settings import Settings
from provgraph.service.store import Store


class _Phases:
    """Seconds per progress phase (parse, check, write / import, restart, schema)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.current: str | None = None
        self.since = 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase != self.current:
            self.end()
            self.current, self.since = phase, time.perf_counter()

    def end(self) -> None:
        if self.current is not None:
            self.seconds[self.current] = round(time.perf_counter() - self.since, 3)
            self.current = None


def _result(report: IngestReport, seconds: float, phases: _Phases) -> dict[str, Any]:
    phases.end()
    elements = report.nodes + report.edges
    return {
        "seconds": round(seconds, 3),
        "elements": elements,
        "nodes": report.nodes,
        "edges": report.edges,
        "elements_per_s": round(elements / seconds, 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        # The largest child: the neo4j-admin importer of a bulk load (its own JVM).
        "child_peak_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "phases_s": phases.seconds,
        "nodes_created": report.nodes_created,
        "relationships_created": report.relationships_created,
        "alerts": report.alerts.model_dump(mode="json") if report.alerts else None,
    }


def ingest(uri: str, path: str) -> dict[str, Any]:
    """The transactional ingest (MERGE batches through Bolt)."""
    from provgraph.service.ingest import ingest_lines

    phases = _Phases()
    with Store.connect(Settings(neo4j_uri=uri, query_timeout_s=INGEST_TIMEOUT_S)) as store:
        store.ensure_schema()
        start = time.perf_counter()
        with open(path, "rb") as handle:
            # Conflict alerts are left to `provgraph alerts --scan`, as for every load that
            # touches more than max_affected artifacts (all benchmark sizes but the smoke one).
            report = ingest_lines(store, handle, source=path, progress=phases, alerts=False)
        seconds = time.perf_counter() - start
    return {"method": "transactional", **_result(report, seconds, phases)}


def bulk(home: str, path: str) -> dict[str, Any]:
    """The bulk initial load (neo4j-admin import; stops and restarts the managed server)."""
    from provgraph.service.bulk_ingest import bulk_ingest

    phases = _Phases()
    settings = Settings(home=Path(home), cache=Settings.from_env().cache)
    start = time.perf_counter()
    report = bulk_ingest(settings, Path(path), source=path, progress=phases, alerts=False)
    seconds = time.perf_counter() - start
    return {"method": "bulk (neo4j-admin import)", **_result(report, seconds, phases)}


# Address space, not RSS: since license reports read their ancestry through the lineage
# index, the child also builds the 1M-node index in a thread (numpy temporaries, a malloc
# arena per thread), and at 4 GiB the driver's buffers failed to grow mid-report at L
# (BufferError, 2026-12-02 06:16). Reports are bounded by the KB now; the cap only guards
# the shared machine.
LICENSES_MEMORY_CAP = 12 * 1024**3
INGEST_TIMEOUT_S = 900.0


def licenses(uri: str, artifact_id: str, repeat: int, budget_s: float) -> dict[str, Any]:
    from provgraph.service.licensing.kb import load_kb
    from provgraph.service.licensing.report import license_report

    # A report over a very large ancestry grows without bound: stop it before the machine's
    # memory (shared with Neo4j and the API) runs out; the parent reports it as not finished.
    resource.setrlimit(resource.RLIMIT_AS, (LICENSES_MEMORY_CAP, LICENSES_MEMORY_CAP))

    # The API reads the KB at startup: so does this process, before the clock starts.
    load_kb()
    times: list[float] = []
    with Store.connect(Settings(neo4j_uri=uri)) as store:
        deadline = time.perf_counter() + budget_s
        answer = None
        for _ in range(repeat + 1):
            start = time.perf_counter()
            answer = license_report(store, artifact_id)
            times.append((time.perf_counter() - start) * 1000)
            if time.perf_counter() + times[-1] / 1000 > deadline:
                break
    assert answer is not None
    return {
        "cold_ms": round(times[0], 3),
        "times_ms": times[1:],
        "report": answer.model_dump(mode="json", include={"clauses", "conflicts", "complete"}),
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["ingest"] and len(argv) == 3:
        result = ingest(argv[1], argv[2])
    elif argv[:1] == ["bulk"] and len(argv) == 3:
        result = bulk(argv[1], argv[2])
    elif argv[:1] == ["licenses"] and len(argv) == 5:
        result = licenses(argv[1], argv[2], int(argv[3]), float(argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
