"""Example provenance graphs shipped with provgraph (package data, used by `provgraph demo`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["example_path"]


def example_path(name: str = "llm-supply-chain.ndjson") -> Path:
    """Filesystem path of a shipped example file."""
    return Path(str(resources.files(__name__).joinpath(name)))
