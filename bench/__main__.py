"""``python -m bench --size S|M|L``: the benchmark suite (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from bench.run import RESULTS_DIR, SIZES, RunOptions, main_run


def parse(argv: list[str]) -> RunOptions:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="provgraph against PostgreSQL, naive Cypher and the in-memory floor",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--size", choices=sorted(SIZES), default="S", help="S 10k, M 100k, L 1M nodes"
    )
    size.add_argument("--nodes", type=int, help="any other node count (results named N<count>)")
    parser.add_argument(
        "--ladder",
        type=int,
        default=40,
        metavar="K",
        help="diamonds in the ladder of Q7 (0: skip Q7; default 40)",
    )
    parser.add_argument(
        "--repeat", type=int, default=20, metavar="N", help="warm runs per question"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS_DIR,
        help="directory for <date>-<size>.json (default bench/results)",
    )
    parser.add_argument("--no-out", action="store_true", help="print the table only")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--prefix", default="bench:", help="id prefix of every benchmark node")
    parser.add_argument(
        "--naive-limit",
        type=float,
        default=60.0,
        metavar="S",
        help="time limit of the naive path-enumerating Cypher (s)",
    )
    parser.add_argument(
        "--q3-limit",
        type=float,
        default=120.0,
        metavar="S",
        help="time limit of one license report (s)",
    )
    parser.add_argument("--q6-seconds", type=float, default=20.0, metavar="S")
    parser.add_argument("--heap", default="2g", help="Neo4j heap of the managed server")
    parser.add_argument("--pagecache", default="2g", help="Neo4j page cache of the managed server")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL baseline")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    nodes = args.nodes or SIZES[args.size]
    label = f"N{nodes}" if args.nodes else args.size
    return RunOptions(
        nodes=nodes,
        size_label=label,
        ladder=args.ladder,
        repeat=args.repeat,
        out=None if args.no_out else args.out,
        seed=args.seed,
        prefix=args.prefix,
        naive_limit_s=args.naive_limit,
        q3_limit_s=args.q3_limit,
        q6_seconds=args.q6_seconds,
        heap=args.heap,
        pagecache=args.pagecache,
        postgres=not args.no_postgres,
    )


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    sys.exit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    # SIGTERM (timeout, a CI runner, kill) unwinds the run as Ctrl-C does, so the Neo4j and
    # PostgreSQL servers it started are stopped and its temporary files removed.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    return main_run(parse(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
