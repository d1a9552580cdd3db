"""Fetch Neo4j's jars from Maven Central with ``mvn``, into a cache outside the repository.

Layout: ``<cache>/neo4j/<version>/{pom.xml,lib/*.jar}`` and
``<cache>/neo4j/browser-<version>/lib/neo4j-browser-<version>.jar``. A fetch runs in a
temporary sibling directory that is renamed into place only when Maven succeeded, so an
interrupted fetch never leaves a half-filled cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from .exceptions import FetchFailed
from .prereqs import check_java, find_java, find_mvn
from .versions import LTS_LINE, check_version, known_versions, newest_in_line

Progress = Callable[[str], None]

# Pinned: Maven 3.8's built-in default for the dependency plugin is 2.8.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
_MAVEN_FLAGS = ["-B", "-q", "-Dstyle.color=never"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Maven's generic advice after every failure; it would push the real cause off the tail.
_BOILERPLATE = re.compile(
    r"^\s*(\[ERROR\]\s*)?$|-e switch|-X switch"
    r"|For more information about the errors|\[Help \d+\] http"
)

_POM = """<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.provgraph</groupId>
  <artifactId>{name}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""
_DEPENDENCY = (
    "    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
    "<version>{version}</version></dependency>"
)


def _quiet(_message: str) -> None:
    pass


def neo4j_dir(cache: Path, version: str) -> Path:
    return cache / "neo4j" / check_version(version)


def browser_dir(cache: Path, version: str) -> Path:
    return cache / "neo4j" / f"browser-{check_version(version)}"


def install_neo4j(cache: Path, version: str, progress: Progress | None = None) -> Path:
    """Make sure the jars of ``org.neo4j:neo4j:<version>`` are cached; return the lib dir."""
    target = neo4j_dir(cache, version)
    return _install(
        target,
        name="neo4j-runtime",
        coordinates=[("org.neo4j", "neo4j", version)],
        marker=f"neo4j-{version}.jar",
        what=f"Neo4j {version}",
        progress=progress or _quiet,
    )


def install_browser(cache: Path, version: str, progress: Progress | None = None) -> Path:
    """Make sure the ``org.neo4j.client:neo4j-browser`` jar is cached; return its lib dir."""
    return _install(
        browser_dir(cache, version),
        name="neo4j-browser",
        coordinates=[("org.neo4j.client", "neo4j-browser", version)],
        marker=f"neo4j-browser-{version}.jar",
        what=f"Neo4j Browser {version}",
        progress=progress or _quiet,
    )


def _install(
    target: Path,
    *,
    name: str,
    coordinates: list[tuple[str, str, str]],
    marker: str,
    what: str,
    progress: Progress,
) -> Path:
    lib = target / "lib"
    if (lib / marker).is_file():
        return lib
    java = find_java()
    check_java(java)  # Maven itself needs a JVM
    mvn = find_mvn()
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        deps = "\n".join(
            _DEPENDENCY.format(group=g, artifact=a, version=v) for g, a, v in coordinates
        )
        (work / "pom.xml").write_text(_POM.format(name=name, dependencies=deps), encoding="utf-8")
        progress(f"Fetching {what} with Maven into {target} (once; later starts reuse it)")
        _run_maven(
            mvn,
            [
                f"{DEPENDENCY_PLUGIN}:copy-dependencies",
                "-DincludeScope=runtime",  # import tool, consistency checker, record storage
                f"-DoutputDirectory={work / 'lib'}",
            ],
            cwd=work,
            what=f"fetching {what}",
            java=java,
        )
        if not (work / "lib" / marker).is_file():
            raise FetchFailed(f"Maven finished but {marker} is not among the fetched jars")
        try:
            work.rename(target)
        except OSError:
            if not (lib / marker).is_file():  # not a concurrent install that won the race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lib


def _remove_abandoned(target: Path) -> None:
    """Delete temporary fetch dirs left by processes that no longer exist."""
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        owner = re.search(r"\.tmp-(\d+)-", stale.name)
        if owner and _pid_alive(int(owner.group(1))):
            continue
        shutil.rmtree(stale, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_maven(mvn: Path, args: list[str], *, cwd: Path, what: str, java: Path) -> str:
    env = dict(os.environ)
    env.setdefault("JAVA_HOME", str(java.parent.parent))
    try:
        proc = subprocess.run(
            [str(mvn), *_MAVEN_FLAGS, *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise FetchFailed(f"cannot run {mvn}: {exc}") from exc
    output = _ANSI.sub("", proc.stdout + proc.stderr)
    if proc.returncode != 0:
        useful = [line for line in output.splitlines() if not _BOILERPLATE.search(line)]
        tail = "\n".join(useful[-15:])
        raise FetchFailed(
            f"Maven failed while {what} (exit code {proc.returncode}):", output_tail=tail
        )
    return output


def newest_patch(line: str = LTS_LINE, *, refresh: bool = True) -> str | None:
    """The newest ``org.neo4j:neo4j`` patch of ``line`` that Maven Central has.

    With ``refresh``, Maven first re-downloads the artifact's version list (asking for the
    ``RELEASE`` pom is the cheapest request that does so: one small metadata file and one pom,
    a few seconds). Without it, the list cached in ``~/.m2`` is read, which may be stale.
    """
    if refresh:
        java = find_java()
        mvn = find_mvn()
        with tempfile.TemporaryDirectory(prefix="provgraph-mvn-") as tmp:
            _run_maven(
                mvn,
                [
                    "-U",
                    f"{DEPENDENCY_PLUGIN}:get",
                    "-Dartifact=org.neo4j:neo4j:RELEASE:pom",
                    "-Dtransitive=false",
                ],
                cwd=Path(tmp),  # no pom.xml here, so Maven runs as a standalone project
                what="refreshing the org.neo4j:neo4j version list",
                java=java,
            )
    return newest_in_line(known_versions("org.neo4j", "neo4j"), line)
