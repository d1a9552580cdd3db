"""Boilerplate and vendor self-identification patterns: the shipped list plus a user's file.

Patterns are regular expressions over the normalised text. A pattern may list keywords
(words, as the checker tokenises: one of them is in every match): its regex then runs only
on texts that have one of those words, so most records cost one set-disjointness test. A
record counts once, for the first pattern (in file order) that matches.
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
    keywords: frozenset[bytes] = frozenset()  # UTF-8, as the tokens are


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
        keywords = entry.get("keywords") or []
        if not isinstance(keywords, list) or not all(
            isinstance(k, str) and re.fullmatch(r"\w+", k) for k in keywords
        ):
            raise InvalidInput(f"{where}: keywords must be a list of words (letters, digits, _)")
        patterns.append(
            Pattern(
                str(entry["id"]),
                kind,
                str(entry["regex"]),
                entry.get("vendor"),
                frozenset(k.casefold().encode("utf-8") for k in keywords),
            )
        )
    return patterns


class PatternSet:
    """Compiled patterns; ``match`` returns the first matching Pattern or None."""

    def __init__(self, patterns: list[Pattern]) -> None:
        self.patterns = patterns
        self._compiled = [(p, re.compile(p.regex), p.keywords) for p in patterns]
        self._always = any(not p.keywords for p in patterns)
        self._keywords = frozenset().union(*(p.keywords for p in patterns))

    def match(self, normalised: str, words: list[bytes]) -> Pattern | None:
        """The first pattern matching ``normalised`` (whose tokens are ``words``)."""
        if not self._always and self._keywords.isdisjoint(words):
            return None
        present = self._keywords.intersection(words)
        for pattern, regex, keywords in self._compiled:
            if keywords and keywords.isdisjoint(present):
                continue
            if regex.search(normalised):
                return pattern
        return None


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
