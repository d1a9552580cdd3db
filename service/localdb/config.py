"""The managed server's home layout, its ``neo4j.conf`` and the JVM command line.

provgraph starts ``org.neo4j.server.CommunityEntryPoint`` itself (one JVM) instead of going
through Neo4j's launcher (``Neo4jCommand``, two JVMs). The launcher is what reads
``server.jvm.additional`` and ``server.memory.heap.*``, so :meth:`ServerConfig.command`
rebuilds its command line exactly: classpath ``plugins/*:conf/*:lib/*`` (each only when the
directory is non-empty), the JVM options in conf order, ``-Dfile.encoding=UTF-8``, heap in
KiB, then the entry point and its arguments. :func:`launcher_command` asks the launcher for
its own version (``console --dry-run``) so a test can prove the two agree.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
LAUNCHER = "org.neo4j.server.startup.Neo4jCommand"
ADMIN_LAUNCHER = "org.neo4j.server.startup.Neo4jAdminCommand"
LAUNCHER_HEAP = "-Xmx128m"  # what bin/neo4j gives the launcher JVM

# The server.jvm.additional lines of the 5.26 tarball's neo4j.conf, in its order. The three
# --add-opens are required on Java 17+; the rest are tuning that keeps behaviour identical
# to a tarball install.
JVM_OPTIONS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+AlwaysPreTouch",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.layout.jsonTemplate.maxStringLength=32768",
)

# Variables the launcher (and neo4j-admin) would obey; a stray export must not change how the
# managed server runs.
SCRUBBED_ENV = ("JAVA_OPTS", "HEAP_SIZE")

_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """Bytes in a Neo4j/JVM size such as ``512m``, ``2g``, ``2GiB`` or ``1048576``."""
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"not a memory size: {text!r} (use e.g. 512m or 2g)")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def _mib(n: int) -> str:
    return f"{n // 1024**2}m"


def default_memory() -> tuple[str, str]:
    """Heap and page cache for local use: 1/12 of RAM each, between 512m and 4g.

    On the 2-core / 24 GiB reference machine that is 2g + 2g, which leaves most of the RAM
    to the API, Python and the OS; pass larger values for big graphs.
    """
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 * 1024**3
    step = 256 * 1024**2
    share = max(2 * step, min(16 * step, ram // 12 // step * step))
    return _mib(share), _mib(share)


def configured_memory(conf_dir: Path) -> tuple[str | None, str | None]:
    """Heap and page cache of the ``neo4j.conf`` last written in ``conf_dir`` (None if not
    there): a restart keeps the sizes the server was started with."""
    try:
        text = (conf_dir / "neo4j.conf").read_text(encoding="utf-8")
    except OSError:
        return None, None
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return values.get("server.memory.heap.max_size"), values.get("server.memory.pagecache.size")


def kib_flag(size: str) -> str:
    """The launcher writes heap flags in KiB (``-Xmx524288k``), never rounding to zero."""
    return f"{max(parse_size(size) // 1024, 1)}k"


@dataclass(frozen=True)
class ServerConfig:
    """Everything that goes into the managed server's ``neo4j.conf`` and command line."""

    home: Path
    bolt_port: int
    http_port: int
    heap: str
    pagecache: str
    auth: bool = True
    http: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def lib_dir(self) -> Path:
        return self.home / "lib"

    @property
    def plugins_dir(self) -> Path:
        return self.home / "plugins"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def import_dir(self) -> Path:
        return self.home / "import"

    def settings(self) -> dict[str, str]:
        """The conf as key/value pairs (``server.jvm.additional`` excepted)."""
        on = {True: "true", False: "false"}
        conf = {
            # Loopback only. Advertised addresses matter: the HTTP discovery document and
            # the routing table hand them to Browser and to neo4j:// drivers.
            "server.default_listen_address": "127.0.0.1",
            "server.default_advertised_address": "127.0.0.1",
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f"127.0.0.1:{self.bolt_port}",
            "server.bolt.advertised_address": f"127.0.0.1:{self.bolt_port}",
            "server.http.enabled": on[self.http],
            "server.http.listen_address": f"127.0.0.1:{self.http_port}",
            "server.http.advertised_address": f"127.0.0.1:{self.http_port}",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": on[self.auth],
            # Read only by the launcher; command() turns them into -Xms/-Xmx itself.
            "server.memory.heap.initial_size": self.heap,
            "server.memory.heap.max_size": self.heap,
            "server.memory.pagecache.size": self.pagecache,
            "server.directories.data": str(self.data_dir),
            "server.directories.logs": str(self.logs_dir),
            "server.directories.run": str(self.run_dir),
            "server.directories.import": str(self.import_dir),
            "initial.dbms.default_database": "neo4j",
            "db.tx_log.rotation.retention_policy": "100M size",
            # Neo4j ends a transaction past its timeout when its monitor next looks: every
            # 2 s by default, so a 1 s PROVGRAPH_QUERY_TIMEOUT could run for 3 s.
            "db.transaction.monitor.check.interval": "100ms",
            "dbms.usage_report.enabled": "false",
            "client.allow_telemetry": "false",  # Browser product analytics
            # Unknown or misspelt keys stop the server instead of being ignored.
            "server.config.strict_validation.enabled": "true",
            # A clean stop otherwise idles 2 x 5 s waiting for Bolt thread pools that are
            # already empty (measured: 12 s -> 4 s).
            "internal.server.bolt.thread_pool_shutdown_wait_time": "1s",
            "internal.server.bolt.connection_shutdown_wait_time": "1s",
        }
        conf.update(self.extra)
        return conf

    def render(self) -> str:
        lines = [
            "# Generated by provgraph for its managed local Neo4j; rewritten at every",
            "# `provgraph db start`, so edits here do not last.",
        ]
        lines += [f"{key}={value}" for key, value in self.settings().items()]
        lines += [f"server.jvm.additional={option}" for option in JVM_OPTIONS]
        return "\n".join(lines) + "\n"

    def write(self) -> Path:
        """Create the home's directories and write ``conf/neo4j.conf``; return the conf file."""
        for folder in (
            self.conf_dir,
            self.plugins_dir,
            self.data_dir,
            self.logs_dir,
            self.run_dir,
            self.import_dir,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        conf = self.conf_dir / "neo4j.conf"
        tmp = conf.with_suffix(".conf.tmp")
        tmp.write_text(self.render(), encoding="utf-8")
        tmp.replace(conf)
        return conf

    def classpath(self) -> str:
        entries = [
            f"{folder.absolute()}{os.sep}*"
            for folder in (self.plugins_dir, self.conf_dir, self.lib_dir)
            if folder.is_dir() and any(folder.iterdir())
        ]
        return os.pathsep.join(entries)

    def command(self, java: Path) -> list[str]:
        """The server's command line, as ``Neo4jCommand console`` would build it."""
        return [
            str(java),
            "-cp",
            self.classpath(),
            *JVM_OPTIONS,
            "-Dfile.encoding=UTF-8",
            f"-Xms{kib_flag(self.heap)}",
            f"-Xmx{kib_flag(self.heap)}",
            ENTRY_POINT,
            f"--home-dir={self.home.absolute()}",
            f"--config-dir={self.conf_dir.absolute()}",
            "--console-mode",  # what 5.26.30's launcher passes for `console`
        ]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        env["NEO4J_HOME"] = str(self.home.absolute())
        env["NEO4J_CONF"] = str(self.conf_dir.absolute())
        return env


def launcher_command(java: Path, config: ServerConfig) -> list[str]:
    """What Neo4j's own launcher would run for ``neo4j console``, via its hidden ``--dry-run``.

    The launcher prints the command unquoted, so this splits on whitespace: keep the home
    path free of spaces when comparing.
    """
    proc = subprocess.run(
        [
            str(java),
            LAUNCHER_HEAP,
            "-cp",
            f"{config.lib_dir}{os.sep}*",
            LAUNCHER,
            "console",
            "--dry-run",
        ],
        env=config.environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        output = proc.stdout + proc.stderr
        raise RuntimeError(f"launcher dry run failed ({proc.returncode}): {output}")
    return lines[-1].split()
