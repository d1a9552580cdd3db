"""Finer failures of the managed local server, all under provgraph's ``LocalServerError``.

::

    LocalServerError               (provgraph.service.errors)
    ├── PrerequisiteMissing        Java or Maven is missing or unusable (provgraph.service.errors)
    ├── FetchFailed                Maven could not fetch the jars; `output_tail`
    ├── PortInUse                  a port the server needs is taken; `port`, `holder`
    └── StartFailed                the server died or never answered during start; `log_tail`
"""

from __future__ import annotations

from typing import Any

from provgraph.service.errors import LocalServerError


class FetchFailed(LocalServerError):
    title = "Fetching Neo4j failed"

    def __init__(self, detail: str, *, output_tail: str = "") -> None:
        super().__init__(f"{detail}\n{output_tail}".rstrip())
        self.output_tail = output_tail


class PortInUse(LocalServerError):
    title = "Port in use"

    def __init__(self, port: int, *, purpose: str, holder: str | None) -> None:
        by = f" by {holder}" if holder else ""
        super().__init__(
            f"port {port} on 127.0.0.1 (needed for {purpose}) is already in use{by}; "
            f"stop that process or choose another port"
        )
        self.port = port
        self.holder = holder

    def extensions(self) -> dict[str, Any]:
        return {"port": self.port, "holder": self.holder}


class StartFailed(LocalServerError):
    title = "Local Neo4j failed to start"

    def __init__(self, detail: str, *, log_tail: str, log_file: str) -> None:
        super().__init__(f"{detail}\nLast lines of {log_file}:\n{log_tail}".rstrip())
        self.log_tail = log_tail
        self.log_file = log_file
