"""The managed local Neo4j, against real servers (no mocks).

One auth-on server (with Browser) is shared by the module; the failure cases either stop
before a JVM starts (ports, prerequisites) or die within seconds (bad config). Jars come
from the user's provgraph cache (``PROVGRAPH_CACHE``), fetched by Maven on first use.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import neo4j
import pytest
from neo4j.exceptions import AuthError
from typer.testing import CliRunner

from provgraph.cli.db import app
from provgraph.service.errors import LocalServerError, PrerequisiteMissing
from provgraph.service.localdb import (
    JVM_OPTIONS,
    NEO4J_VERSION,
    Connection,
    LocalNeo4j,
    PortInUse,
    StartFailed,
    launcher_command,
    managed_connection,
    parse_size,
)
from provgraph.service.localdb.prereqs import check_java, find_java
from provgraph.service.localdb.readiness import answers
from provgraph.service.settings import Settings

CACHE = Settings.from_env().cache  # shared with real use: the jars are fetched once
HEAP, PAGECACHE = "512m", "256m"  # small, for tests on 2 cores


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports that are free right now."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``provgraph db ...`` in a separate Python process, as a user would run it."""
    env = {**os.environ, "PROVGRAPH_HOME": str(home), "PROVGRAPH_CACHE": str(CACHE)}
    env.pop("NEO4J_URI", None)
    code = "from provgraph.cli.db import app; app()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300
    )


def query_one(conn: Connection, password: str | None = None) -> int:
    auth = (conn.user, password or conn.password) if conn.password else None
    with neo4j.GraphDatabase.driver(conn.uri, auth=auth) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS one", database_="neo4j")
        return int(records[0]["one"])


@dataclass
class Running:
    db: LocalNeo4j
    conn: Connection
    settings: Settings
    start_seconds: float


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    settings = Settings(home=tmp_path_factory.mktemp("provgraph-home"), cache=CACHE)
    bolt, http = free_ports(2)
    db = LocalNeo4j(
        settings,
        bolt_port=bolt,
        http_port=http,
        auth=True,
        browser=True,
        heap=HEAP,
        pagecache=PAGECACHE,
    )
    began = time.monotonic()
    try:
        conn = db.start(timeout=240)
        yield Running(db, conn, settings, time.monotonic() - began)
    finally:
        db.stop()


# --------------------------------------------------------------------------- no server


def test_command_line_equals_the_launchers_dry_run(tmp_path: Path) -> None:
    bolt, http = free_ports(2)
    settings = Settings(home=tmp_path, cache=CACHE)
    db = LocalNeo4j(
        settings, bolt_port=bolt, http_port=http, browser=True, heap=HEAP, pagecache=PAGECACHE
    )
    db.configure()
    ours = db.command()
    theirs = launcher_command(find_java(), db.config)

    def split(cmd: list[str]) -> tuple[str, str, list[str], dict[str, int], list[str]]:
        assert cmd[1] == "-cp"
        main = next(i for i, arg in enumerate(cmd) if arg.startswith("org.neo4j."))
        opts = cmd[3:main]
        heap = {o[:4]: parse_size(o[4:]) for o in opts if o[:4] in ("-Xms", "-Xmx")}
        rest = [o for o in opts if o[:4] not in ("-Xms", "-Xmx")]
        return str(Path(cmd[0]).resolve()), cmd[2], rest, heap, cmd[main:]

    java, classpath, options, heap, main = split(ours)
    l_java, l_classpath, l_options, l_heap, l_main = split(theirs)
    assert java == l_java
    assert classpath.split(os.pathsep) == l_classpath.split(os.pathsep)
    assert classpath.split(os.pathsep)[0] == f"{db.home}/plugins/*"  # the Browser jar
    assert options == l_options
    assert options == [*JVM_OPTIONS, "-Dfile.encoding=UTF-8"]
    assert heap == l_heap == {"-Xms": 512 * 1024**2, "-Xmx": 512 * 1024**2}
    assert main == l_main
    assert main[0] == "org.neo4j.server.CommunityEntryPoint"


def test_config_is_loopback_only_quiet_and_strict(tmp_path: Path) -> None:
    db = LocalNeo4j(
        Settings(home=tmp_path, cache=CACHE), bolt_port=17001, heap=HEAP, pagecache=PAGECACHE
    )
    conf = db.config.settings()
    assert conf["server.default_listen_address"] == "127.0.0.1"
    assert conf["server.bolt.listen_address"] == "127.0.0.1:17001"
    assert conf["server.bolt.advertised_address"] == "127.0.0.1:17001"
    assert conf["dbms.usage_report.enabled"] == "false"
    assert conf["db.transaction.monitor.check.interval"] == "100ms"
    assert conf["server.config.strict_validation.enabled"] == "true"


def test_sizes_parse_like_neo4j() -> None:
    assert parse_size("512m") == 512 * 1024**2
    assert parse_size("2g") == parse_size("2GiB") == 2 * 1024**3
    assert parse_size("1024k") == 1024**2
    with pytest.raises(ValueError):
        parse_size("lots")


def test_java_here_is_supported() -> None:
    assert check_java(find_java()).feature in (17, 21)


TEMURIN_25 = Path("/usr/lib/jvm/temurin-25-jdk-amd64")


@pytest.mark.skipif(not (TEMURIN_25 / "bin" / "java").exists(), reason="no Java 25 here")
def test_unsupported_java_warns_like_the_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(TEMURIN_25))
    with pytest.warns(RuntimeWarning, match="supports only Java 17 and 21"):
        assert check_java(find_java()).feature == 25


def test_install_is_a_fast_no_op_once_cached(tmp_path: Path) -> None:
    db = LocalNeo4j(Settings(home=tmp_path, cache=CACHE), heap=HEAP, pagecache=PAGECACHE)
    lib = db.install()
    began = time.monotonic()
    assert db.install() == lib
    assert time.monotonic() - began < 1.0
    assert (lib / f"neo4j-{NEO4J_VERSION}.jar").is_file()
    assert not list(lib.parent.parent.glob(".*.tmp-*"))  # no half-finished fetches


def test_taken_port_is_named(tmp_path: Path) -> None:
    bolt, http = free_ports(2)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", bolt))
        squatter.listen()
        db = LocalNeo4j(Settings(home=tmp_path, cache=CACHE), bolt_port=bolt, http_port=http)
        with pytest.raises(PortInUse) as caught:
            db.start()
    assert isinstance(caught.value, LocalServerError)
    assert str(bolt) in str(caught.value)
    assert "Bolt" in str(caught.value)
    assert not db.status().running


def test_server_dying_at_start_shows_its_log(tmp_path: Path) -> None:
    bolt, http = free_ports(2)
    db = LocalNeo4j(
        Settings(home=tmp_path, cache=CACHE),
        bolt_port=bolt,
        http_port=http,
        auth=False,
        extra_config={"server.memory.pagecache.size": "lots"},
        heap=HEAP,
        pagecache=PAGECACHE,
    )
    with pytest.raises(StartFailed) as caught:
        db.start(timeout=120)
    message = str(caught.value)
    assert "exited during start" in message
    assert "server.memory.pagecache.size" in caught.value.log_tail
    assert "server.memory.pagecache.size" in message
    assert not db.status().running
    assert not (db.home / "run" / "provgraph.pid").exists()


def test_missing_java_is_a_prerequisite_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    bolt, http = free_ports(2)
    db = LocalNeo4j(Settings(home=tmp_path / "h", cache=CACHE), bolt_port=bolt, http_port=http)
    with pytest.raises(PrerequisiteMissing, match="openjdk-17"):
        db.start()


def test_missing_maven_is_a_prerequisite_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(find_java())
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    db = LocalNeo4j(
        Settings(home=tmp_path / "h", cache=tmp_path / "empty-cache"),
        heap=HEAP,
        pagecache=PAGECACHE,
    )
    with pytest.raises(PrerequisiteMissing, match="maven"):
        db.install()


def test_cli_start_refuses_when_neo4j_uri_is_set() -> None:
    result = CliRunner().invoke(app, ["start"], env={"NEO4J_URI": "bolt://db.example:7687"})
    assert result.exit_code == 2
    assert "NEO4J_URI" in result.output


# ------------------------------------------------------------------- one shared server


def test_started_server_answers_and_reports_running(running: Running) -> None:
    assert query_one(running.conn) == 1
    status = running.db.status()
    assert status.running
    assert status.pid is not None
    assert status.version == NEO4J_VERSION
    assert status.bolt_uri == running.conn.uri == running.db.bolt_uri
    assert status.http_url == running.db.http_url
    assert status.browser
    assert managed_connection(running.settings) == running.conn
    assert "Started." in running.db.logs(30)
    print(f"\nfirst start of a fresh home took {running.start_seconds:.1f} s")


def test_password_is_private_and_enforced(running: Running) -> None:
    creds_file = running.settings.credentials_file
    assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(creds_file.parent.stat().st_mode) == 0o700
    stored = json.loads(creds_file.read_text())
    assert stored["password"] == running.conn.password
    assert len(stored["password"]) >= 16
    assert query_one(running.conn) == 1
    with pytest.raises(AuthError):
        query_one(running.conn, password="not-the-password")


def test_browser_is_served(running: Running) -> None:
    base = running.db.http_url
    assert base is not None
    page = httpx.get(f"{base}/browser/", timeout=30)
    assert page.status_code == 200
    assert "Neo4j Browser" in page.text
    # Browser connects where the discovery document says: it must be our Bolt port.
    discovery = httpx.get(f"{base}/", timeout=30).json()
    assert discovery["bolt_direct"] == running.conn.uri.replace("neo4j://", "bolt://")


def test_second_start_returns_the_running_server(running: Running) -> None:
    pid = running.db.status().pid
    again = LocalNeo4j(
        running.settings, heap=HEAP, pagecache=PAGECACHE
    )  # default ports: the state file wins
    began = time.monotonic()
    assert again.start() == running.conn
    assert time.monotonic() - began < 5
    assert again.status().pid == pid


def test_cli_status_and_stop_work_from_another_process(running: Running) -> None:
    status = run_cli(running.settings.home, "status", "--json")
    assert status.returncode == 0, status.stderr
    reported = json.loads(status.stdout)
    assert reported["running"] is True
    assert reported["pid"] == running.db.status().pid
    assert reported["browser_url"] == f"{running.db.http_url}/browser/"

    stopped = run_cli(running.settings.home, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "Stopped" in stopped.stdout
    assert not running.db.status().running
    assert not answers(running.conn)
    assert running.db.stop() is False
    assert json.loads(run_cli(running.settings.home, "status", "--json").stdout)["running"] is False
