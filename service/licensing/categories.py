"""DPI-style use categories and attribution / share-alike flags.

The Data Provenance Initiative classes each license as ``[use, attribution, share_alike]``
and combines a dataset's licenses with "most restrictive wins": any ``?`` or ``Acad`` →
academic-only; else any ``NC`` → non-commercial; else any ``Unspecified`` → unspecified;
else commercial. Flags are the maximum, with ``?`` counting as 1 (Longpre et al. 2023;
Data-Provenance-Initiative/Data-Provenance-Collection, Apache-2.0).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from provgraph.service.licensing.kb import DpiClass

__all__ = ["CATEGORIES", "USE_RANK", "Category", "combine"]

Category = Literal["commercial", "unspecified", "non-commercial", "academic-only"]
CATEGORIES: tuple[Category, ...] = ("commercial", "unspecified", "non-commercial", "academic-only")
USE_RANK: dict[Category, int] = {name: rank for rank, name in enumerate(CATEGORIES)}

_USE_TO_CATEGORY: dict[str, Category] = {
    "All": "commercial",
    "Unspecified": "unspecified",
    "NC": "non-commercial",
    "Acad": "academic-only",
    "?": "academic-only",
}
UNKNOWN = DpiClass(use="?", attribution="?", share_alike="?")


def _flag(value: str) -> int:
    return 0 if value == "0" else 1  # "?" counts as 1, as DPI does


def combine(classes: Iterable[DpiClass], *, unknown: bool = False) -> tuple[Category, int, int]:
    """Category, attribution and share-alike of a set of licenses (most restrictive wins).

    An empty set is ``unspecified`` (no license at all); ``unknown`` adds an unknown license.
    """
    items = list(classes)
    if unknown:
        items.append(UNKNOWN)
    if not items:
        return "unspecified", 0, 0
    category: Category = max((_USE_TO_CATEGORY[c.use] for c in items), key=USE_RANK.__getitem__)
    attribution = max(_flag(c.attribution) for c in items)
    share_alike = max(_flag(c.share_alike) for c in items)
    return category, attribution, share_alike
