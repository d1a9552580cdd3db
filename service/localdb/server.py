"""The lifecycle of the local Neo4j that provgraph manages: start, stop, status, logs.

Home layout (default ``<PROVGRAPH_HOME>/neo4j``)::

    conf/neo4j.conf          written at every start (see config.py)
    lib -> <cache>/neo4j/<version>/lib
    plugins/                 the Browser jar (a link) when --browser is on
    data/ import/
    logs/console.log         the JVM's stdout and stderr: user log, crashes before logging starts
    logs/neo4j.log, debug.log, ...   Neo4j's own rotated logs (built-in log4j defaults)
    run/provgraph.pid        the server's pid, written by provgraph
    run/provgraph-state.json how the running server was started (ports, version, Browser)
    run/neo4j.pid            written and removed by Neo4j itself
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from provgraph.service.errors import LocalServerError
from provgraph.service.settings import DEFAULT_BOLT_PORT, DEFAULT_HTTP_PORT, Settings

from . import fetch
from .config import ServerConfig, default_memory, parse_size
from .credentials import (
    USER,
    Connection,
    StoredCredentials,
    generate_password,
    read_credentials,
    set_initial_password,
    write_credentials,
)
from .exceptions import PortInUse
from .prereqs import check_java, find_java
from .process import is_alive, locked, port_free, port_holder, tail, wait_exit
from .readiness import wait_ready
from .versions import BROWSER_VERSION, NEO4J_VERSION, check_version

Progress = Callable[[str], None]
_LOG_ROTATE_BYTES = 10 * 1024**2
_KILL_GRACE_S = 30.0


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    version: str
    home: Path
    bolt_uri: str
    http_url: str | None  # None when HTTP is disabled
    browser: bool

    def to_json(self) -> dict[str, Any]:
        """A stable, JSON-ready form (used by ``provgraph db status --json``)."""
        data = asdict(self)
        data["home"] = str(self.home)
        browser = self.browser and self.http_url is not None
        data["browser_url"] = f"{self.http_url}/browser/" if browser else None
        return data


@dataclass(frozen=True)
class _State:
    """What ``run/provgraph-state.json`` records about the running server."""

    pid: int
    version: str
    bolt_port: int
    http_port: int
    http: bool
    browser: bool
    auth: bool
    started_at: str


def _bolt_uri(port: int) -> str:
    return f"neo4j://127.0.0.1:{port}"


def _http_url(port: int, enabled: bool) -> str | None:
    return f"http://127.0.0.1:{port}" if enabled else None


class LocalNeo4j:
    """A Neo4j Community server run from Maven Central jars, in a home directory of its own."""

    def __init__(
        self,
        settings: Settings,
        *,
        home: Path | None = None,
        bolt_port: int = DEFAULT_BOLT_PORT,
        http_port: int = DEFAULT_HTTP_PORT,
        heap: str | None = None,
        pagecache: str | None = None,
        auth: bool = True,
        http: bool = True,
        browser: bool = False,
        version: str | None = None,
        extra_config: Mapping[str, str] | None = None,
    ) -> None:
        if browser and not http:
            raise ValueError("the Browser is served over HTTP: browser=True needs http=True")
        default_heap, default_pagecache = default_memory()
        heap = heap or default_heap
        pagecache = pagecache or default_pagecache
        parse_size(heap)
        parse_size(pagecache)
        self.settings = settings
        self.version = check_version(version or NEO4J_VERSION)
        self.browser = browser
        self.config = ServerConfig(
            home=(home or settings.home / "neo4j").expanduser().absolute(),
            bolt_port=bolt_port,
            http_port=http_port,
            heap=heap,
            pagecache=pagecache,
            auth=auth,
            http=http,
            extra=dict(extra_config or {}),
        )
        self.ready_after: float | None = None  # seconds the last start() waited for readiness

    # ----------------------------------------------------------------- paths and addresses
    @property
    def home(self) -> Path:
        return self.config.home

    @property
    def log_file(self) -> Path:
        return self.config.logs_dir / "console.log"

    @property
    def bolt_uri(self) -> str:
        return _bolt_uri(self.config.bolt_port)

    @property
    def http_url(self) -> str | None:
        return _http_url(self.config.http_port, self.config.http)

    @property
    def _pid_file(self) -> Path:
        return self.config.run_dir / "provgraph.pid"

    @property
    def _state_file(self) -> Path:
        return self.config.run_dir / "provgraph-state.json"

    @property
    def _lock_file(self) -> Path:
        return self.config.run_dir / "provgraph.lock"

    # ------------------------------------------------------------------------ installing
    def install(self, progress: Progress | None = None) -> Path:
        """Fetch the Neo4j jars (and the Browser's, if enabled) once; return the lib dir."""
        lib = fetch.install_neo4j(self.settings.cache, self.version, progress)
        if self.browser:
            fetch.install_browser(self.settings.cache, BROWSER_VERSION, progress)
        return lib

    def configure(self, progress: Progress | None = None) -> Path:
        """Install if needed, lay out the home and write ``neo4j.conf``; return the conf dir."""
        lib = self.install(progress)
        self.config.write()
        _link(self.config.lib_dir, lib)
        for old in self.config.plugins_dir.glob("neo4j-browser-*.jar"):
            old.unlink()
        if self.browser:
            jar = f"neo4j-browser-{BROWSER_VERSION}.jar"
            source = fetch.browser_dir(self.settings.cache, BROWSER_VERSION) / "lib" / jar
            (self.config.plugins_dir / jar).symlink_to(source)
        return self.config.conf_dir

    def command(self) -> list[str]:
        """The JVM command line :meth:`start` runs (call :meth:`configure` first)."""
        return self.config.command(find_java())

    # ------------------------------------------------------------------------- lifecycle
    def start(self, *, timeout: float = 120.0, progress: Progress | None = None) -> Connection:
        """Start the server detached and wait until it answers ``RETURN 1``.

        If this home's server already runs, return its connection without starting another.
        """
        say = progress or _quiet
        with locked(self._lock_file):
            state = self._live_state()
            if state is not None:
                say(f"Neo4j is already running (pid {state.pid})")
                return self._connection(state)
            self._check_ports()  # before a possibly long fetch
            java = find_java()
            check_java(java)
            self.configure(say)
            creds = self._prepare_auth(java, say)
            say(f"Starting Neo4j {self.version} (logs: {self.log_file})")
            proc, offset = self._launch(java)
            conn = creds.connection()
            try:
                self.ready_after = wait_ready(
                    proc, conn, log_file=self.log_file, log_offset=offset, timeout=timeout
                )
            except BaseException:
                self._terminate(proc.pid, _KILL_GRACE_S)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
                self._clear_runtime_files()
                raise
            say(f"Neo4j answered after {self.ready_after:.1f} s")
            return conn

    def stop(self, *, timeout: float = 120.0) -> bool:
        """SIGTERM, wait up to ``timeout``, SIGKILL only then. False if it was not running."""
        with locked(self._lock_file):
            state = self._live_state()
            if state is None:
                self._clear_runtime_files()
                return False
            self._terminate(state.pid, timeout)
            self._clear_runtime_files()
            return True

    def status(self) -> ServerStatus:
        state = self._live_state()
        if state is None:
            return ServerStatus(
                running=False,
                pid=None,
                version=self.version,
                home=self.home,
                bolt_uri=self.bolt_uri,
                http_url=self.http_url,
                browser=self.browser,
            )
        return ServerStatus(
            running=True,
            pid=state.pid,
            version=state.version,
            home=self.home,
            bolt_uri=_bolt_uri(state.bolt_port),
            http_url=_http_url(state.http_port, state.http),
            browser=state.browser,
        )

    def logs(self, lines: int = 50) -> str:
        """The last ``lines`` lines the server wrote to stdout/stderr (``logs/console.log``)."""
        return tail(self.log_file, lines)

    # ------------------------------------------------------------------------- internals
    def _check_ports(self) -> None:
        wanted = [(self.config.bolt_port, "Bolt")]
        if self.config.http:
            wanted.append((self.config.http_port, "HTTP"))
        for port, purpose in wanted:
            if not port_free(port):
                raise PortInUse(port, purpose=purpose, holder=port_holder(port))

    def _prepare_auth(self, java: Path, say: Progress) -> StoredCredentials:
        path = self.settings.credentials_file
        stored = read_credentials(path)
        password = stored.password if stored else None
        initialised = (self.config.data_dir / "databases" / "system").exists()
        if self.config.auth and password is None:
            if initialised:
                raise LocalServerError(
                    f"{self.home} was first started with auth off, so no password is known "
                    "for it; start it with auth off, or delete its data/ directory to start over"
                )
            password = generate_password()
        creds = StoredCredentials(self.bolt_uri, USER, password, self.config.auth)
        write_credentials(path, creds)  # before neo4j-admin runs, so the password is never lost
        if self.config.auth and password is not None and not initialised:
            say(f"Setting the initial password (kept in {path})")
            set_initial_password(java, self.config, password)
        return creds

    def _launch(self, java: Path) -> tuple[subprocess.Popen[bytes], int]:
        log = self.log_file
        if log.exists() and log.stat().st_size > _LOG_ROTATE_BYTES:
            log.replace(log.with_name(log.name + ".1"))
        command = self.config.command(java)
        with log.open("ab") as out:
            stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            out.write(f"---- provgraph: starting Neo4j {self.version} at {stamp} ----\n".encode())
            out.flush()
            offset = out.tell()
            proc = subprocess.Popen(
                command,
                cwd=self.home,
                env=self.config.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the CLI and its terminal's Ctrl-C
            )
        self._pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
        state = _State(
            pid=proc.pid,
            version=self.version,
            bolt_port=self.config.bolt_port,
            http_port=self.config.http_port,
            http=self.config.http,
            browser=self.browser,
            auth=self.config.auth,
            started_at=stamp,
        )
        self._state_file.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
        return proc, offset

    def _live_state(self) -> _State | None:
        """The state of this home's server if it is running, else None."""
        try:
            pid = int(self._pid_file.read_text(encoding="utf-8").strip())
        except (FileNotFoundError, ValueError):
            return None
        if not is_alive(pid, self.home):
            return None
        try:
            raw = json.loads(self._state_file.read_text(encoding="utf-8"))
            return _State(**{**raw, "pid": pid})
        except (OSError, ValueError, TypeError):
            # Running but without readable state: describe it with this instance's settings.
            return _State(
                pid,
                self.version,
                self.config.bolt_port,
                self.config.http_port,
                self.config.http,
                self.browser,
                self.config.auth,
                "",
            )

    def _connection(self, state: _State) -> Connection:
        stored = read_credentials(self.settings.credentials_file)
        password = stored.password if stored and state.auth else None
        return Connection(_bolt_uri(state.bolt_port), USER, password)

    def _terminate(self, pid: int, timeout: float) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not wait_exit(pid, self.home, timeout):
            # A killed store recovers from its transaction log at the next start.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            wait_exit(pid, self.home, 10.0)

    def _clear_runtime_files(self) -> None:
        for path in (self._pid_file, self._state_file):
            path.unlink(missing_ok=True)


def _link(link: Path, target: Path) -> None:
    """Point ``link`` at ``target``; a real directory there is the user's and is kept."""
    if link.is_symlink():
        if Path(os.readlink(link)) == target:
            return
        link.unlink()
    elif link.exists():
        return
    link.symlink_to(target, target_is_directory=True)


def managed_connection(settings: Settings) -> Connection | None:
    """The connection of the managed server of ``settings.home``; None if never started."""
    stored = read_credentials(settings.credentials_file)
    return stored.connection() if stored else None
