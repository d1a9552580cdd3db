"""The benchmark program at smoke size: every question runs every way and every answer is
checked against the in-memory reference. No timing is asserted (benchmarks are a program,
not timed tests); a wrong answer fails the run and this test."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench.__main__ import parse
from bench.report import markdown
from bench.run import RunOptions, run, write_results
from bench.servers import BenchSetupError, postgres_bin
from bench.supply_chain import REFERENCE_DIGESTS, digest, generate
from provgraph.service.settings import Settings

SMOKE_NODES = 2_000


def test_generator_matches_the_reference_digests() -> None:
    for nodes in (SMOKE_NODES, 10_000):
        assert digest(generate(nodes)) == REFERENCE_DIGESTS[nodes]


def test_command_line_options() -> None:
    options = parse(["--size", "M", "--repeat", "3", "--ladder", "0", "--no-out"])
    assert (options.nodes, options.size_label, options.repeat, options.ladder, options.out) == (
        100_000, "M", 3, 0, None,
    )  # fmt: skip
    assert parse(["--nodes", "1234"]).size_label == "N1234"
    with pytest.raises(SystemExit):
        parse(["--repeat", "0"])


def test_smoke_run_answers_every_question_correctly(
    neo4j_settings: Settings, ns: str, tmp_path: Path
) -> None:
    try:
        postgres_bin()
    except BenchSetupError as exc:
        pytest.skip(str(exc))
    options = RunOptions(
        nodes=SMOKE_NODES, size_label="smoke", ladder=40, repeat=2, out=None, prefix=ns,
        naive_limit_s=2.0, q3_limit_s=120.0, q6_seconds=3.0, settings=neo4j_settings,
        workdir=tmp_path,
    )  # fmt: skip
    results, code = run(options)
    assert results["checks"]["failures"] == []
    assert code == 0
    assert results["checks"]["passed"] > 100
    q = results["questions"]
    assert {"Q1", "Q1-mid", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"} <= set(q)
    assert q["Q5"]["elements"] == results["meta"]["nodes"] + results["meta"]["edges"]
    assert q["Q1"]["closure"] == results["meta"]["query_nodes"]["up-large"]["closure"]
    assert q["Q3"]["status"] == "ok" and q["Q3"]["clauses"] > 0
    assert q["Q4"]["status"] in ("ok", "not run: risk module absent")
    assert q["Q7"]["lineage"]["closure"] == 120
    assert q["Q7"]["lineage"]["naive"]["timed_out"] is True  # 2^40 paths
    assert q["Q6"]["requests"] > 0 and q["Q6"]["errors"] == 0
    table = markdown(results)
    assert "| Q1 up-large |" in table and "| target |" in table
    written = write_results(results, tmp_path)
    assert json.loads(written.read_text())["meta"]["size"] == "smoke"


def test_a_terminated_run_stops_the_servers_it_started(tmp_path: Path) -> None:
    """SIGTERM (timeout, a CI runner) unwinds the run as Ctrl-C does: its Neo4j is stopped
    and its temporary directory removed."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("NEO4J_URI", None)
    run_bench = [sys.executable, "-m", "bench", "--nodes", "2000", "--ladder", "0"]
    bench = subprocess.Popen(
        [*run_bench, "--no-postgres", "--no-out"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in bench.stderr or ()], daemon=True).start()
    port = None
    try:
        while port is None:  # the run says where its Neo4j listens once it is up
            found = re.search(r"Neo4j \S+ on neo4j://127\.0\.0\.1:(\d+)", lines.get(timeout=300))
            port = int(found.group(1)) if found else None
    except queue.Empty:
        bench.kill()
        pytest.fail("the bench never said it started its Neo4j")
    bench.send_signal(signal.SIGTERM)
    assert bench.wait(timeout=120) == 128 + signal.SIGTERM
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    assert not list(tmp_path.glob("provgraph-bench-*"))
