"""Which Neo4j and Browser versions the managed server uses, and what Maven knows about.

The 5.26 LTS line is pinned because it is the last one that runs on Java 17. Maven Central
does not carry every patch of the line (5.26.27 is missing), so the newest patch is read
from the repository metadata Maven downloads rather than assumed from release notes.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

DEFAULT_NEO4J_VERSION = "5.26.30"
LTS_LINE = "5.26"
BROWSER_VERSION = "5.24.0"  # the newest org.neo4j.client:neo4j-browser on Maven Central

_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")


def check_version(version: str) -> str:
    """Return ``version`` if it looks like ``5.26.30``; it ends up in a generated pom."""
    if not _VERSION_RE.match(version):
        raise ValueError(f"not a Neo4j release version: {version!r} (expected e.g. 5.26.30)")
    return version


def resolve_version() -> str:
    """``PROVGRAPH_NEO4J_VERSION`` if set, else the pinned default."""
    return check_version(os.environ.get("PROVGRAPH_NEO4J_VERSION") or DEFAULT_NEO4J_VERSION)


NEO4J_VERSION: str = resolve_version()


def maven_local_repo() -> Path:
    """Maven's default local repository (``~/.m2/repository``)."""
    return Path.home() / ".m2" / "repository"


def known_versions(group: str, artifact: str, *, repo: Path | None = None) -> list[str]:
    """Versions listed in the cached ``maven-metadata-*.xml`` of an artifact, oldest first.

    Maven names the file after the repository id (``maven-metadata-central.xml``, or a
    mirror's id), so every such file is read and the lists are merged.
    """
    folder = (repo or maven_local_repo()).joinpath(*group.split("."), artifact)
    seen: dict[str, None] = {}
    for meta in sorted(folder.glob("maven-metadata-*.xml")):
        try:
            root = ET.parse(meta).getroot()
        except ET.ParseError:
            continue
        for node in root.iterfind("./versioning/versions/version"):
            if node.text:
                seen.setdefault(node.text.strip(), None)
    return list(seen)


def newest_in_line(versions: list[str], line: str = LTS_LINE) -> str | None:
    """The highest ``<line>.N`` release among ``versions`` (no milestones or RCs)."""
    patches = [v for v in versions if v.startswith(line + ".") and _VERSION_RE.match(v)]
    if not patches:
        return None
    return max(patches, key=lambda v: tuple(int(p) for p in v.split(".")))
