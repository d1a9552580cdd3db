"""Find Java and Maven, and check that the Java can run Neo4j 5.26."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

from provgraph.service.errors import PrerequisiteMissing

SUPPORTED_JAVA = (17, 21)  # the 5.26 launcher accepts exactly these feature versions
INSTALL_HINT = "e.g. `apt-get install openjdk-17-jre-headless maven`"


@dataclass(frozen=True)
class JavaInfo:
    path: Path
    feature: int
    vm_name: str


def find_java() -> Path:
    """``$JAVA_HOME/bin/java`` if set, else ``java`` on PATH, with symlinks resolved.

    Resolved because Neo4j's launcher names its own binary by real path, and provgraph's
    command line is compared with the launcher's.
    """
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return (Path(java_home) / "bin" / "java").resolve()
    found = shutil.which("java")
    if not found:
        raise PrerequisiteMissing(
            "Java is not installed (no `java` on PATH and no JAVA_HOME): the local Neo4j "
            f"needs a Java 17 or 21 runtime and Maven, {INSTALL_HINT}"
        )
    return Path(found).resolve()


def find_mvn() -> Path:
    found = shutil.which("mvn")
    if not found:
        raise PrerequisiteMissing(
            "Maven is not installed (no `mvn` on PATH): provgraph uses it once to fetch the "
            f"Neo4j jars from Maven Central, {INSTALL_HINT}"
        )
    return Path(found)


@functools.lru_cache(maxsize=8)
def java_info(java: Path) -> JavaInfo:
    """Ask the JVM for its specification version and VM name (about 0.1 s, cached)."""
    try:
        proc = subprocess.run(
            [str(java), "-XshowSettings:properties", "-version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError as exc:
        raise PrerequisiteMissing(f"cannot run {java}: {exc}; {INSTALL_HINT}") from exc
    props: dict[str, str] = {}
    for line in proc.stderr.splitlines():
        key, sep, value = line.strip().partition(" = ")
        if sep:
            props[key] = value.strip()
    spec = props.get("java.specification.version", "")
    # Java 8 reports "1.8"; anything that old is rejected below.
    feature = int(spec.split(".")[-1]) if spec.startswith("1.") else int(spec or 0)
    return JavaInfo(java, feature, props.get("java.vm.name", "unknown VM"))


def check_java(java: Path) -> JavaInfo:
    """Refuse Java older than 17; warn, like Neo4j's launcher, on versions other than 17/21."""
    info = java_info(java)
    if info.feature < SUPPORTED_JAVA[0]:
        raise PrerequisiteMissing(
            f"{java} is Java {info.feature or '?'}; Neo4j 5.26 needs Java 17 or 21, "
            f"{INSTALL_HINT}, or point JAVA_HOME at one"
        )
    if info.feature not in SUPPORTED_JAVA:
        warnings.warn(
            f"{java} is Java {info.feature}; Neo4j 5.26 supports only Java 17 and 21. "
            "It may start, but this combination is unsupported: set JAVA_HOME to a 17 or 21 JDK.",
            RuntimeWarning,
            stacklevel=2,
        )
    return info
