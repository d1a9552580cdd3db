"""Throughput and peak memory of `provgraph check` on a large planted corpus.

Not part of the test suite. Generates (once) a dataset of --records JSONL records and a
reference of --reference-records, with plants at the default rates scaled down, then runs
the real CLI (`provgraph check DATASET --against REFERENCE --json --details FILE`) in a
child process, with its progress bar, and reports wall time, CPU time, records per second,
the peak resident memory (VmHWM, sampled) of the checker's main process and of its largest
worker, and the precision/recall of the planted metrics.

    .venv/bin/python bench/check_throughput.py --records 1000000 --reference-records 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from provgraph.service.checks.corpus import PlantConfig, precision_recall, write_planted_corpus


def corpus_config(records: int, reference_records: int) -> PlantConfig:
    share = max(1, records // 1000)  # 0.1% of the records per kind of plant
    return PlantConfig(
        records=records,
        reference_records=reference_records,
        exact_within=share,
        exact_reference=share,
        near_within=share,
        near_reference=share,
        ngram_leaks=share,
        boilerplate=share,
        near_misses=share,
        format_errors=share,
        seed=2026,
    )


def _hwm(pid: int) -> int | None:
    """Peak resident set size of a live process in MiB (VmHWM), None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _watch_peaks(child: subprocess.Popen[bytes]) -> dict[int, int]:
    """Sample the peak RSS of the checker and its worker processes until it exits."""
    peaks: dict[int, int] = {}

    def sample() -> None:
        while child.poll() is None:
            for pid in (child.pid, *_children(child.pid)):
                value = _hwm(pid)
                if value is not None:
                    peaks[pid] = max(peaks.get(pid, 0), value)
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    thread.join()
    return peaks


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
    command = [
        str(cli),
        "check",
        str(dataset),
        "--against",
        str(reference),
        "--json",
        "--details",
        str(details),
        "--workers",
        str(args.workers),
    ]
    print(" ".join(command))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # stdout (the JSON report) is captured; stderr (the progress bar) goes to the terminal.
    with tempfile.TemporaryFile() as captured:
        child = subprocess.Popen(command, stdout=captured)
        peaks = _watch_peaks(child)
        code = child.wait()
        captured.seek(0)
        output = captured.read()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code not in (0, 1):
        print(f"check failed with exit {code}")
        return 1
    report = json.loads(output)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    size = dataset.stat().st_size + reference.stat().st_size
    print(
        f"dataset {args.records:,} records, reference {args.reference_records:,} records, "
        f"{size / 2**20:,.0f} MiB of JSONL"
    )
    print(
        f"wall {wall:.1f} s: {args.records / wall:,.0f} dataset records/s "
        f"({(args.records + args.reference_records) / wall:,.0f} records/s read in all); "
        f"CPU {cpu:.0f} s on {args.workers} workers"
    )
    print(
        f"the CLI's own figure (dataset pass and indexing): {report['records_per_second']:,.0f}"
        " records/s"
    )
    main_peak = peaks.pop(child.pid, 0)
    worker_peak = max(peaks.values(), default=0)
    print(
        f"peak RSS (VmHWM): main process {main_peak:,} MiB, largest worker {worker_peak:,} MiB"
        " (workers are forked after the reference index is built and share its pages)"
    )
    truth = {k: set(v) for k, v in json.loads(truth_file.read_text()).items()}
    flagged: dict[str, set[int]] = {k: set() for k in truth}
    with details.open() as handle:
        for line in handle:
            row = json.loads(line)
            flagged[row["kind"]].add(row["record"])
    for kind in truth:
        precision, recall = precision_recall(flagged[kind], truth[kind])
        print(
            f"  {kind:<16} plants {len(truth[kind]):>6,}  flagged {len(flagged[kind]):>6,}  "
            f"precision {precision:.4f}  recall {recall:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
