"""The local Neo4j that provgraph manages when ``NEO4J_URI`` is unset.

Neo4j Community 5.26 LTS runs from Maven Central jars (no Docker, no tarball): ``fetch``
gets them with Maven, ``config`` writes ``neo4j.conf`` and the JVM command line the official
launcher would use, ``credentials`` keeps the password, ``server`` runs the process. See
docs/neo4j-local.md.
"""

from .config import JVM_OPTIONS, ServerConfig, launcher_command, parse_size
from .credentials import Connection
from .exceptions import FetchFailed, PortInUse, StartFailed
from .fetch import newest_patch
from .server import LocalNeo4j, ServerStatus, managed_connection
from .versions import BROWSER_VERSION, DEFAULT_NEO4J_VERSION, LTS_LINE, NEO4J_VERSION

__all__ = [
    "BROWSER_VERSION",
    "DEFAULT_NEO4J_VERSION",
    "JVM_OPTIONS",
    "LTS_LINE",
    "NEO4J_VERSION",
    "Connection",
    "FetchFailed",
    "LocalNeo4j",
    "PortInUse",
    "ServerConfig",
    "ServerStatus",
    "StartFailed",
    "launcher_command",
    "managed_connection",
    "newest_patch",
    "parse_size",
]
