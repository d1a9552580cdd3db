"""The one exception tree of provgraph.

::

    ProvgraphError                 base; `title` and `status` feed RFC 9457 problems
    ├── NotFound                   an artifact id that is not in the graph (404)
    ├── InvalidInput               a request or record that fails validation (422)
    │   └── IngestRejected         an NDJSON file with bad lines: `errors` lists each line
    │       └── IngestTooLarge     ... one of them longer than the line limit (413)
    ├── CycleRefused               a write that would close a lineage cycle; `path` (409)
    ├── BulkImportRefused          a bulk import into a non-empty or remote database (409)
    ├── StoreUnavailable           Neo4j cannot be reached (503)
    ├── QueryTimeout               a query ran past its time limit (504)
    └── LocalServerError           the managed local Neo4j cannot be installed/started
        └── PrerequisiteMissing    Java or Maven is missing

The API maps each class to a problem document with `status`; the CLI prints one line on
stderr and exits with the class's `exit_code` (1 bad input, 3 database unreachable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ProvgraphError(Exception):
    """Base class: every error provgraph raises on purpose."""

    title = "provgraph error"
    status = 500
    exit_code = 1
    slug = "error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extensions(self) -> dict[str, Any]:
        """Extra members for the problem document."""
        return {}


class NotFound(ProvgraphError):
    title = "Artifact not found"
    status = 404
    slug = "not-found"

    def __init__(self, artifact_id: str) -> None:
        super().__init__(f"no artifact with id {artifact_id!r}")
        self.artifact_id = artifact_id

    def extensions(self) -> dict[str, Any]:
        return {"artifact_id": self.artifact_id}


class InvalidInput(ProvgraphError):
    title = "Invalid input"
    status = 422
    slug = "invalid-input"


@dataclass(frozen=True)
class LineError:
    """One rejected NDJSON line: 1-based line number and the reason."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class IngestRejected(InvalidInput):
    title = "Ingest rejected"
    slug = "ingest-rejected"

    def __init__(self, errors: list[LineError], *, source: str = "input") -> None:
        first = errors[0] if errors else LineError(0, "no detail")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{source}: {first}{more}; nothing was written")
        self.errors = errors

    def extensions(self) -> dict[str, Any]:
        return {"errors": [{"line": e.line, "reason": e.reason} for e in self.errors]}


class LineTooLong(LineError):
    """A line past the NDJSON line limit (its own class, so the API can answer 413)."""


class IngestTooLarge(IngestRejected):
    title = "NDJSON line too long"
    status = 413
    slug = "line-too-long"


class CycleRefused(ProvgraphError):
    title = "Lineage cycle refused"
    status = 409
    slug = "cycle"

    def __init__(self, path: list[str], *, line: int | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}edge would close a lineage cycle: {' -> '.join(path)}")
        self.path = path
        self.line = line

    def extensions(self) -> dict[str, Any]:
        ext: dict[str, Any] = {"cycle": self.path}
        if self.line is not None:
            ext["line"] = self.line
        return ext


class BulkImportRefused(ProvgraphError):
    """A bulk (offline) import that would replace data, or that has no local server to use."""

    title = "Bulk import refused"
    status = 409
    slug = "bulk-import-refused"


class StoreUnavailable(ProvgraphError):
    title = "Database unavailable"
    status = 503
    exit_code = 3
    slug = "store-unavailable"


class QueryTimeout(ProvgraphError):
    title = "Query timed out"
    status = 504
    slug = "timeout"


class LocalServerError(ProvgraphError):
    title = "Local Neo4j server error"
    status = 500
    exit_code = 3
    slug = "local-server"


class PrerequisiteMissing(LocalServerError):
    title = "Prerequisite missing"
