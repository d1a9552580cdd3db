"""provgraph's domain layer (``provgraph.service.*``)."""

from __future__ import annotations

import sys

# The Neo4j driver imports these at import time when installed (both come with
# ``datasets``), only to take DataFrames and Arrow arrays as query values, which provgraph
# never sends: ~100 MB of RSS in every API process. They still import normally afterwards.
_DRIVER_HIDDEN = ("pandas", "pyarrow")


def _import_driver_without_dataframes() -> None:
    if "neo4j" in sys.modules or any(name in sys.modules for name in _DRIVER_HIDDEN):
        return
    for name in _DRIVER_HIDDEN:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        import neo4j  # noqa: F401
    finally:
        for name in _DRIVER_HIDDEN:
            del sys.modules[name]


_import_driver_without_dataframes()
