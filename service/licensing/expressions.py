"""Declared license expressions, read against the knowledge base.

``AND`` unions the clauses of its operands; ``OR`` is satisfied by any alternative, so a
node's expression becomes its alternatives in disjunctive normal form and provgraph picks
the least restrictive one (the licensee's choice). An id the KB does not know stays
*unknown*: it is never read as permissive.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from license_expression import ExpressionError, LicenseSymbol, LicenseWithExceptionSymbol

from provgraph.service.licensing.categories import USE_RANK, combine
from provgraph.service.licensing.kb import KnowledgeBase, LicenseEntry
from provgraph.service.models import spdx_licensing

__all__ = ["Declared", "alternatives", "choose"]


@dataclass(frozen=True)
class Declared:
    """One alternative of a declared expression: the KB entries it names, and unknown ids."""

    entries: tuple[LicenseEntry, ...]
    unknown: tuple[str, ...]

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.entries] + list(self.unknown)


@lru_cache(maxsize=4096)
def _dnf(expression: str) -> tuple[tuple[str, ...], ...]:
    licensing = spdx_licensing()
    try:
        parsed = licensing.parse(expression, validate=False, strict=True)
    except ExpressionError:
        return ((expression,),)  # not an expression we can read: one unknown id
    if parsed is None:
        return ()
    dnf = licensing.dnf(parsed)
    terms = dnf.args if isinstance(dnf, licensing.OR) else (dnf,)
    result: list[tuple[str, ...]] = []
    for term in terms:
        symbols = term.args if isinstance(term, licensing.AND) else (term,)
        keys: list[str] = []
        for symbol in symbols:
            if isinstance(symbol, LicenseWithExceptionSymbol):
                keys.append(symbol.license_symbol.key)
            elif isinstance(symbol, LicenseSymbol):
                keys.append(symbol.key)
            else:
                keys.extend(licensing.license_keys(symbol))
        result.append(tuple(dict.fromkeys(keys)))
    return tuple(result)


def alternatives(kb: KnowledgeBase, expression: str) -> list[Declared]:
    """The OR-alternatives of an expression, each an AND-set resolved against the KB."""
    found: list[Declared] = []
    for keys in _dnf(expression):
        entries: list[LicenseEntry] = []
        unknown: list[str] = []
        for key in keys:
            entry = kb.resolve(key)
            if entry is None:
                unknown.append(key)
            elif entry not in entries:
                entries.append(entry)
        found.append(Declared(tuple(entries), tuple(unknown)))
    return found


def choose(options: list[Declared]) -> Declared | None:
    """The least restrictive alternative: best DPI category, then fewest clauses."""
    if not options:
        return None

    def cost(option: Declared) -> tuple[int, int]:
        classes = [e.dpi for e in option.entries]
        use, _, _ = combine(classes, unknown=bool(option.unknown))
        return USE_RANK[use], sum(len(e.clauses) for e in option.entries)

    return min(options, key=cost)
