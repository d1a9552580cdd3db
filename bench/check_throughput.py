"""Throughput and peak memory of `provgraph check` on a large planted corpus.

Not part of the test suite. Generates (once) a dataset of --records JSONL records and a
reference of --reference-records, with plants at the default rates scaled down, then runs
the real CLI (`provgraph check DATASET --against REFERENCE --json --details FILE`) in a
child process, with its progress bar, and reports wall time, records per second and the
peak resident memory of the checker's processes (the main one and the largest worker), and
the precision/recall of the planted metrics.

    .venv/bin/python bench/check_throughput.py --records 1000000 --reference-records 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from provgraph.service.checks.corpus import PlantConfig, precision_recall, write_planted_corpus


def corpus_config(records: int, reference_records: int) -> PlantConfig:
    share = max(1, records // 1000)  # 0.1% of the records per kind of plant
    return PlantConfig(
        records=records, reference_records=reference_records, exact_within=share,
        exact_reference=share, near_within=share, near_reference=share, ngram_leaks=share,
        boilerplate=share, near_misses=share, format_errors=share, seed=2026,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--reference-records", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/provgraph-bench-check"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    directory = args.dir / f"{args.records}-{args.reference_records}"
    truth_file = directory / "truth.json"
    if not truth_file.is_file():
        started = time.perf_counter()
        print(f"generating {args.records:,} + {args.reference_records:,} records in {directory}")
        write_planted_corpus(directory, corpus_config(args.records, args.reference_records))
        print(f"generated in {time.perf_counter() - started:.0f} s")
    dataset, reference = directory / "dataset.jsonl", directory / "reference.jsonl"
    details = directory / "details.jsonl"
    cli = Path(sys.executable).with_name("provgraph")
    command = [str(cli), "check", str(dataset), "--against", str(reference), "--json",
               "--details", str(details), "--workers", str(args.workers)]
    print(" ".join(command))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # stdout (the JSON report) is captured; stderr (the progress bar) goes to the terminal.
    done = subprocess.run(command, stdout=subprocess.PIPE, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        print(f"check failed with exit {done.returncode}")
        return 1
    report = json.loads(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    size = dataset.stat().st_size + reference.stat().st_size
    print(f"dataset {args.records:,} records, reference {args.reference_records:,} records, "
          f"{size / 2**20:,.0f} MiB of JSONL")
    print(f"wall {wall:.1f} s: {args.records / wall:,.0f} dataset records/s "
          f"({(args.records + args.reference_records) / wall:,.0f} records/s read in all); "
          f"CPU {cpu:.0f} s on {args.workers} workers")
    print(f"the CLI's own figure (dataset pass and indexing): {report['records_per_second']:,.0f}"
          " records/s")
    print(f"peak RSS of the largest checker process: {after.ru_maxrss / 1024:,.0f} MiB")
    truth = {k: set(v) for k, v in json.loads(truth_file.read_text()).items()}
    flagged: dict[str, set[int]] = {k: set() for k in truth}
    with details.open() as handle:
        for line in handle:
            row = json.loads(line)
            flagged[row["kind"]].add(row["record"])
    for kind in truth:
        precision, recall = precision_recall(flagged[kind], truth[kind])
        print(f"  {kind:<16} plants {len(truth[kind]):>6,}  flagged {len(flagged[kind]):>6,}  "
              f"precision {precision:.4f}  recall {recall:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
