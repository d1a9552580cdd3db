"""Which artifacts a write may change the alerts of, with a cap on how many are counted.

Both alert refreshes (license conflicts and synthetic-data risk) re-evaluate the touched
artifacts and everything downstream of them. Past ``max_affected`` they evaluate nothing and
say so: a full scan is the tool for a change that large. The count stops one past the cap,
so a bulk load of a large graph costs one bounded query, not a walk of every closure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from provgraph.service.store import Store, Tx

__all__ = [
    "DEFAULT_MAX_AFFECTED",
    "Affected",
    "affected_artifacts",
    "artifact_id_pages",
    "too_many_detail",
]

DEFAULT_MAX_AFFECTED = 2000


@dataclass(frozen=True)
class Affected:
    """The affected artifacts, or only the knowledge that there are more than the cap."""

    count: int
    """Distinct affected artifacts; ``max_affected + 1`` once counting stopped, or the
    number of touched ids when those alone were more than the cap (then nothing is read)."""
    ids: list[str]
    """All of them, sorted, when within the cap; empty past it."""
    capped: bool


def affected_artifacts(
    tx: Tx, touched: list[str], *, as_of: datetime, max_affected: int
) -> Affected:
    """The touched artifacts and their descendants at ``as_of``, up to ``max_affected``."""
    if len(touched) > max_affected:
        # More ids than the cap: not worth sending them (a bulk load touches them all).
        return Affected(count=len(touched), ids=[], capped=True)
    row = tx.run("conflict_affected", ids=touched, as_of=as_of, limit=max_affected)[0]
    count = int(row["total"])
    if count > max_affected:
        return Affected(count=count, ids=[], capped=True)
    return Affected(count=count, ids=sorted(row["ids"]), capped=False)


def too_many_detail(what: str, max_affected: int, remedy: str) -> str:
    """Why ``what`` (conflicts, risk findings) was not re-evaluated, and what to do instead."""
    return (
        f"more than max_affected={max_affected:,} artifacts are affected (the touched ones and "
        f"their descendants): {what} were not re-evaluated; {remedy}"
    )


def artifact_id_pages(store: Store, prefix: str, page_size: int) -> Iterator[list[str]]:
    """Every artifact id (or those starting with ``prefix``) in id order, a page at a time:
    what a full scan evaluates, each page in a transaction of its own."""
    after = ""
    while True:
        ids = [
            r["id"]
            for r in store.query("conflict_scan_page", prefix=prefix, after=after, limit=page_size)
        ]
        if not ids:
            return
        yield ids
        after = ids[-1]
