"""provgraph's domain layer (``provgraph.service.*``)."""

from __future__ import annotations

import sys


def _import_driver_without_pandas() -> None:
    """Import the Neo4j driver with pandas hidden from it: the driver loads pandas (when
    installed, e.g. as a dependency of ``datasets``) only for ``Result.to_df``, which
    provgraph never calls, and it costs every API process ~25 MB. pandas itself still
    imports normally afterwards."""
    if "neo4j" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # makes `import pandas` fail
    try:
        import neo4j  # noqa: F401
    finally:
        del sys.modules["pandas"]


_import_driver_without_pandas()
