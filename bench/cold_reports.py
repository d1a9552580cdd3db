"""``python -m bench.cold_reports URI|managed ID licenses|risk [index|cypher]``: the memory and time
one cold report adds to a process, as the API pays it on its first request after a write.

Builds the lineage index first (as an API worker does at startup), then resets the peak RSS
(``/proc/self/clear_refs``) and runs one uncached report: ``index`` (default) the way an
API request about now goes (closure from the index), ``cypher`` with ``as_of`` set to now
(the Cypher queries find the closure). Prints JSON: milliseconds, RSS before, the peak
(VmHWM) and what the report added. Linux only.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from provgraph.service import risk
from provgraph.service.heap import release_freed_memory
from provgraph.service.licensing import report
from provgraph.service.licensing.kb import load_kb
from provgraph.service.licensing.propagation import Policy
from provgraph.service.lineage_index import index_for
from provgraph.service.settings import Settings
from provgraph.service.store import Store


def _status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4) or argv[2] not in ("licenses", "risk"):
        print(__doc__, file=sys.stderr)
        return 2
    uri, artifact_id, what = argv[:3]
    path = argv[3] if len(argv) == 4 else "index"
    kb = load_kb()
    settings = Settings.from_env()
    if uri != "managed":  # the managed server of PROVGRAPH_HOME, with its credentials
        settings = Settings(neo4j_uri=uri)
    with Store.connect(settings) as store:
        index = index_for(store)
        index.background = False
        index.current(store)
        release_freed_memory()
        gc.collect()
        before = _status("VmRSS")
        _reset_peak()
        as_of = datetime.now(UTC) if path == "cypher" else None
        start = time.perf_counter()
        summary: dict[str, Any]
        if what == "licenses":
            answer = report._license_report(
                store, artifact_id, policy=Policy.STRICT, as_of=as_of, kb=kb
            )
            summary = {"clauses": len(answer.clauses), "conflicts": len(answer.conflicts)}
            del answer
        else:
            found = risk._risk_report(store, artifact_id, risk.RiskThresholds(), as_of)
            summary = {"generations": found.synthetic_generations, "findings": len(found.findings)}
            del found
        ms = (time.perf_counter() - start) * 1000
        gc.collect()  # what stays now is what the process keeps beyond the report itself
        kept = _status("VmRSS")
        trim_start = time.perf_counter()
        release_freed_memory()
        trim_ms = (time.perf_counter() - trim_start) * 1000
        trimmed = _status("VmRSS")
    peak = _status("VmHWM")
    print(
        json.dumps(
            {
                "report": what,
                "path": path,
                "ms": round(ms, 1),
                "rss_before_mb": round(before / 1e6, 1),
                "peak_mb": round(peak / 1e6, 1),
                "added_mb": round((peak - before) / 1e6, 1),
                "kept_mb": round((kept - before) / 1e6, 1),
                "kept_after_trim_mb": round((trimmed - before) / 1e6, 1),
                "trim_ms": round(trim_ms, 1),
                **summary,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
