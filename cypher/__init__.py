"""Named Cypher queries: one ``<name>.cypher`` file per query, loaded by name.

Each file starts with a ``//`` comment block (purpose, ``$params``, columns) and runs
unchanged in Neo4j Browser. The one thing Python may splice into a query is a validated
integer depth bound, at the marker ``/*max_depth*/`` right after a ``*1..`` pattern:
without it the expansion is unbounded (architecture.md, "Queries").
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["DEPTH_MARKER", "load", "names", "with_depth"]

DEPTH_MARKER = "/*max_depth*/"


@cache
def load(name: str) -> str:
    """The text of the query ``name`` (without the ``.cypher`` suffix)."""
    path = resources.files(__name__).joinpath(f"{name}.cypher")
    if not path.is_file():
        raise KeyError(f"no Cypher query named {name!r}")
    return path.read_text(encoding="utf-8")


def names() -> list[str]:
    """Every query name shipped in the package."""
    return sorted(
        entry.name.removesuffix(".cypher")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".cypher")
    )


def with_depth(text: str, max_depth: int | None) -> str:
    """Put a validated upper bound into the query's var-length pattern, or leave it unbounded."""
    if DEPTH_MARKER not in text:
        raise ValueError("query has no depth marker")
    if max_depth is None:
        return text
    if type(max_depth) is not int or not 1 <= max_depth <= 10_000:
        raise ValueError(f"max_depth must be an integer in 1..10000, got {max_depth!r}")
    return text.replace(DEPTH_MARKER, str(max_depth))
