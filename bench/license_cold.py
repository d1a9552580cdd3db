"""``python -m bench.license_cold URI ID [RUNS]``: one artifact's license report, uncached.

Times the domain function as Q3's first (cold) request pays it: the ancestry query and the
propagation, bypassing the epoch cache (an explicit KB skips it). Prints JSON: each run's
milliseconds, the ancestry size and the report's clause, waived, unknown and conflict counts.
"""

from __future__ import annotations

import json
import sys
import time

from provgraph.service.licensing.kb import load_kb
from provgraph.service.licensing.report import license_report
from provgraph.service.settings import Settings
from provgraph.service.store import Store


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    uri, artifact_id = argv[0], argv[1]
    runs = int(argv[2]) if len(argv) == 3 else 3
    kb = load_kb()
    times: list[float] = []
    with Store.connect(Settings(neo4j_uri=uri)) as store:
        for _ in range(runs):
            start = time.perf_counter()
            report = license_report(store, artifact_id, kb=kb)
            times.append(round((time.perf_counter() - start) * 1000, 1))
    rules: dict[str, int] = {}
    for finding in report.conflicts:
        rules[finding["rule"]] = rules.get(finding["rule"], 0) + 1
    print(
        json.dumps(
            {
                "ms": times,
                "complete": report.complete,
                "clauses": len(report.clauses),
                "waived": len(report.waived),
                "unknown": len(report.unknown),
                "conflicts": len(report.conflicts),
                "rules": rules,
                "json_bytes": len(report.model_dump_json()),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
