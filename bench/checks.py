"""Correctness of every answer against the in-memory reference: a wrong answer fails the run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

__all__ = ["Checks"]


@dataclass
class Checks:
    """Collects failed checks per question; the run exits non-zero if any failed."""

    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def equal(self, question: str, what: str, got: object, expected: object) -> bool:
        if got == expected:
            self.passed += 1
            return True
        self.failures.append(f"{question}: {what}: got {_short(got)}, expected {_short(expected)}")
        return False

    def true(self, question: str, what: str, condition: bool) -> bool:
        if condition:
            self.passed += 1
            return True
        self.failures.append(f"{question}: {what}")
        return False

    def paths(
        self,
        question: str,
        root: str,
        items: Iterable[Mapping[str, Any]],
        *,
        has_edge: Any,
        members: set[str],
    ) -> int:
        """Every explanation path starts at ``root``, follows real edges, and ends at its
        origin, which lies in the ancestry. Returns how many paths were checked."""
        count = 0
        for item in items:
            path = item.get("path") or []
            origin = item.get("origin")
            origin_id = origin.get("node") if isinstance(origin, Mapping) else origin
            if not path:
                ok = origin_id in (None, root) or origin_id in members
                if not self.true(question, f"origin {origin_id} outside the ancestry", ok):
                    return count
                continue
            ok = (
                path[0]["from"] == root
                and all(has_edge(hop["from"], hop["to"]) for hop in path)
                and all(a["to"] == b["from"] for a, b in pairwise(path))
            )
            if origin_id is not None:
                ok = ok and path[-1]["to"] == origin_id and origin_id in members
            if not self.true(question, f"explanation path is not a lineage path: {path}", ok):
                return count
            count += 1
        return count


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 200 else text[:200] + "..."
