"""Boilerplate and vendor self-identification patterns: the shipped list plus a user's file.

Patterns are regular expressions over the normalised text, compiled into one alternation of
named groups so a record costs one search; a record counts once, for the first pattern that
matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from provgraph.service.errors import InvalidInput

__all__ = ["Pattern", "PatternSet", "load_patterns"]

_KINDS = ("boilerplate", "self-identification")


@dataclass(frozen=True)
class Pattern:
    id: str
    kind: str
    regex: str
    vendor: str | None = None


def _parse(text: str, source: str) -> list[Pattern]:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source}: not YAML: {exc}") from exc
    entries = data.get("patterns") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InvalidInput(f"{source}: expected a mapping with a 'patterns' list")
    patterns: list[Pattern] = []
    for number, entry in enumerate(entries, 1):
        where = f"{source}: pattern {number}"
        if not isinstance(entry, dict) or not {"id", "regex"} <= entry.keys():
            raise InvalidInput(f"{where}: needs 'id' and 'regex'")
        kind = entry.get("kind", "boilerplate")
        if kind not in _KINDS:
            raise InvalidInput(f"{where}: kind must be one of {', '.join(_KINDS)}, not {kind!r}")
        if kind == "self-identification" and not entry.get("vendor"):
            raise InvalidInput(f"{where}: a self-identification pattern names its vendor")
        try:
            re.compile(str(entry["regex"]))
        except re.error as exc:
            raise InvalidInput(f"{where} ({entry['id']}): bad regex: {exc}") from exc
        patterns.append(Pattern(str(entry["id"]), kind, str(entry["regex"]), entry.get("vendor")))
    return patterns


class PatternSet:
    """Compiled patterns; ``match`` returns the first matching Pattern or None."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns
        alternation = "|".join(f"(?P<p{i}>{p.regex})" for i, p in enumerate(patterns))
        self._regex = re.compile(alternation) if patterns else None

    def match(self, normalised: str) -> Pattern | None:
        if self._regex is None:
            return None
        found = self._regex.search(normalised)
        if found is None or found.lastgroup is None:
            return None
        return self.patterns[int(found.lastgroup[1:])]


def load_patterns(user_file: str | Path | None = None) -> PatternSet:
    """The shipped patterns, extended (or overridden by id) by ``user_file``."""
    shipped = resources.files(__package__).joinpath("patterns.yaml").read_text("utf-8")
    by_id = {p.id: p for p in _parse(shipped, "patterns.yaml")}
    if user_file is not None:
        path = Path(user_file)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read patterns file {path}: {exc.strerror}") from exc
        by_id.update({p.id: p for p in _parse(text, str(path))})
    return PatternSet(list(by_id.values()))
