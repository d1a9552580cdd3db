"""The servers a benchmark run starts and stops: Neo4j (provgraph's managed local server,
or ``NEO4J_URI``), the provgraph API under uvicorn, and PostgreSQL for the relational
baseline. Everything listens on loopback ports chosen at run time."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

from provgraph.service.settings import Settings

__all__ = [
    "ApiServer",
    "BenchSetupError",
    "PostgresServer",
    "free_port",
    "neo4j_for_bench",
    "postgres_bin",
    "process_cpu_seconds",
    "server_process",
]

POSTGRES_PACKAGE = "postgresql-15"
POSTGRES_BIN_DIRS = ("/usr/lib/postgresql/15/bin",)
UNPRIVILEGED_USER = "nobody"


class BenchSetupError(RuntimeError):
    """A prerequisite of the benchmark is missing; the message says how to get it."""


def run_json_module(module: str, *args: str) -> dict[str, Any]:
    """``python -m module args`` in a child process (its memory is its own); its stdout
    is one JSON object. A failure raises BenchSetupError with the end of its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchSetupError(f"{module} {' '.join(args)} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def neo4j_for_bench(
    workdir: Path, *, heap: str, pagecache: str, log: Callable[[str], None] = print
) -> Iterator[Settings]:
    """``NEO4J_URI`` if set (never started nor stopped here), else a fresh managed server
    in ``workdir`` (an empty database, so the load measures a real bulk ingest)."""
    base = Settings.from_env()
    if base.neo4j_uri:
        yield base
        return
    from provgraph.service.localdb import LocalNeo4j

    home = workdir / "provgraph-home"
    server = LocalNeo4j(
        Settings(home=home, cache=base.cache),
        home=home / "neo4j",
        bolt_port=free_port(),
        http_port=free_port(),
        heap=heap,
        pagecache=pagecache,
        auth=False,
        http=False,
    )
    connection = server.start(timeout=300)
    log(f"Neo4j {server.version} on {connection.uri} (heap {heap}, page cache {pagecache})")
    try:
        yield Settings(neo4j_uri=connection.uri, home=home, cache=base.cache)
    finally:
        server.stop()


def high_water_mark(pid: int) -> int | None:
    """A live process's peak resident set size in bytes (``VmHWM``; None off Linux or once
    the process is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def server_process(uri: str) -> psutil.Process | None:
    """The local process listening on ``uri``'s port (the Neo4j server), or None when the
    server is elsewhere: Q6 reports where the CPU of a request goes."""
    port = urlsplit(uri).port
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
                return psutil.Process(conn.pid)
    return None


def process_cpu_seconds(processes: list[psutil.Process]) -> float:
    """User plus system CPU time of ``processes`` so far (gone ones count 0)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


API_WORKERS = 2  # one per core of the reference machine; PROVGRAPH_BENCH_API_WORKERS


class ApiServer:
    """``provgraph serve --workers N`` in a child process, as deployed: with N > 1 a
    supervisor process and N workers, each with its own lineage index."""

    def __init__(self, settings: Settings, workers: int | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers or int(os.environ.get("PROVGRAPH_BENCH_API_WORKERS", API_WORKERS))
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
        assert settings.neo4j_uri
        env["NEO4J_URI"] = settings.neo4j_uri
        if settings.neo4j_password:
            env["NEO4J_USER"] = settings.neo4j_user
            env["NEO4J_PASSWORD"] = settings.neo4j_password
        env["PROVGRAPH_HOME"] = str(settings.home)
        command = [
            str(Path(sys.executable).with_name("provgraph")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-auth",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
        self._ps = psutil.Process(self.process.pid)
        self.peak_rss = 0  # of all the API's processes together
        self.peak_rss_per_process: dict[int, int] = {}
        self.largest_now = 0  # RSS of the largest process at the last sample
        # VmHWM: the true peak of each process, which samples between requests miss (a
        # 688k-node answer is built and freed within one request).
        self.high_water_per_process: dict[int, int] = {}

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchSetupError(f"the API exited with code {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise BenchSetupError(f"the API did not become ready in {timeout:g} s")

    def rss(self) -> int:
        """Current resident set size of the API's processes together (bytes); keeps the
        peak of the sum and of each process, and each process's high-water mark."""
        total = 0
        self.largest_now = 0
        for process in (self._ps, *self._ps.children(recursive=True)):
            with contextlib.suppress(psutil.Error):
                value = int(process.memory_info().rss)
                total += value
                self.largest_now = max(self.largest_now, value)
                peak = self.peak_rss_per_process.get(process.pid, 0)
                self.peak_rss_per_process[process.pid] = max(peak, value)
                mark = high_water_mark(process.pid)
                if mark is not None:
                    self.high_water_per_process[process.pid] = mark
        self.peak_rss = max(self.peak_rss, total)
        return total

    @property
    def largest_high_water(self) -> int:
        """The largest process's high-water mark so far (bytes; 0 where the OS keeps none)."""
        return max(self.high_water_per_process.values(), default=0)

    def processes(self) -> list[psutil.Process]:
        """The supervisor and its workers."""
        with contextlib.suppress(psutil.Error):
            return [self._ps, *self._ps.children(recursive=True)]
        return [self._ps]

    def rss_report(self) -> dict[str, object]:
        """The peaks for the results file: sum, largest process, every process."""
        per = self.peak_rss_per_process
        return {
            "workers": self.workers,
            "sum_peak_bytes": self.peak_rss,
            "largest_process_peak_bytes": max(per.values(), default=0),
            "per_process_peak_bytes": {str(pid): value for pid, value in sorted(per.items())},
            "largest_process_high_water_bytes": self.largest_high_water or None,
            "per_process_high_water_bytes": {
                str(pid): value for pid, value in sorted(self.high_water_per_process.items())
            },
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def postgres_bin() -> Path:
    """The directory of ``initdb``/``postgres``; a clear error naming the package if absent."""
    for folder in (os.environ.get("PROVGRAPH_BENCH_PG_BIN", ""), *POSTGRES_BIN_DIRS):
        if folder and (Path(folder) / "postgres").is_file() and (Path(folder) / "initdb").is_file():
            return Path(folder)
    found = shutil.which("postgres")
    if found and shutil.which("initdb"):
        return Path(found).parent
    raise BenchSetupError(
        "PostgreSQL server binaries not found (looked in "
        f"{', '.join(POSTGRES_BIN_DIRS)} and PATH): install the Debian package "
        f"{POSTGRES_PACKAGE} (apt-get install {POSTGRES_PACKAGE}), or point "
        "PROVGRAPH_BENCH_PG_BIN at the directory holding initdb and postgres"
    )


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster: initdb into a temporary directory, postgres on a free
    loopback port, removed at ``stop()``.

    PostgreSQL refuses to run as root; when the benchmark runs as root, the cluster is
    owned by and run as ``nobody`` (``setpriv``), and lives outside root-only directories.
    """

    bin_dir: Path
    port: int
    data_dir: Path
    root_dir: Path
    user: str
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, *, shared_buffers: str = "512MB", work_mem: str = "64MB") -> PostgresServer:
        bin_dir = postgres_bin()
        root_dir = Path(tempfile.mkdtemp(prefix="provgraph-bench-pg-", dir="/tmp"))
        data_dir = root_dir / "data"
        as_root = os.geteuid() == 0
        user = UNPRIVILEGED_USER if as_root else pwd.getpwuid(os.geteuid()).pw_name
        if as_root:
            entry = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(root_dir, entry.pw_uid, entry.pw_gid)
        server = cls(bin_dir, free_port(), data_dir, root_dir, user)
        server._run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                user,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        log = (root_dir / "postgres.log").open("ab")
        server.process = subprocess.Popen(
            server._as_owner(
                [
                    str(bin_dir / "postgres"),
                    "-D",
                    str(data_dir),
                    "-p",
                    str(server.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={root_dir}",
                    "-c",
                    f"shared_buffers={shared_buffers}",
                    "-c",
                    f"work_mem={work_mem}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "jit=off",
                    "-c",
                    "max_parallel_workers_per_gather=0",
                ]
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        server._wait_ready()
        return server

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"

    def version(self) -> str:
        out = subprocess.run(
            [str(self.bin_dir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip()

    def _as_owner(self, command: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return command
        entry = pwd.getpwnam(self.user)
        return [
            "setpriv",
            f"--reuid={entry.pw_uid}",
            f"--regid={entry.pw_gid}",
            "--clear-groups",
            "--",
            *command,
        ]

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(
            self._as_owner(command), capture_output=True, text=True, check=False, cwd=self.root_dir
        )
        if done.returncode != 0:
            raise BenchSetupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")

    def _wait_ready(self, timeout: float = 60.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log = (self.root_dir / "postgres.log").read_text(errors="replace")[-2000:]
                raise BenchSetupError(f"postgres exited at start: {log}")
            try:
                with psycopg.connect(self.conninfo, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise BenchSetupError(f"postgres did not accept connections in {timeout:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: smart shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.root_dir, ignore_errors=True)
