"""Synthetic-data risk of one artifact: model collapse and contamination signals.

One named query reads the lineage (distinct nodes by pruning BFS, then one hop; never
paths): ``risk_ancestry`` returns the ancestry as a weighted DAG with each node's kind,
vendor and family; about now, with the lineage index valid, the index finds the closure and
``risk_nodes`` reads the same facts by id (``service.ancestry``). Rows are folded into
arrays as they stream (``service.risk_dag``). Everything else is one pass over that DAG
in topological order, linear in nodes and edges, done here (a per-model Cypher search for
generators was quadratic in the ancestry and ran out of transaction memory at 22k
ancestors):

- ``synthetic_generations``: the most ``GENERATED_BY`` hops on any upstream path.
- ``human_fraction``: the record-weighted share of records that trace back to human
  sources. A ``GENERATED_BY`` edge contributes model output (0 human); ``DERIVED_FROM``,
  ``TRAINED_ON`` and ``FINE_TUNED_FROM`` edges contribute their parent's share, weighted by
  the edge's ``records``. A source counts 1 (``human: true``), 0 (``false``) or unknown;
  an artifact with no recorded origin is unknown. Unknown shares and unknown weights make
  the figure an exact [min, max] interval rather than a guess (docs/risk.md gives the rules).

- the set questions: vendors upstream, and per model the families and vendors of the
  generators whose outputs its training data holds and its families along fine-tuning (small
  bitmasks: a bitmask over every generator at every node was quadratic in time and memory).
  Self-consumption is answered per family and contamination per pair of vendors, each with
  the nearest model as witness and counts, so the answer is bounded by families and vendors,
  not by the number of models upstream.

Thresholds (``RiskThresholds``, from ``Settings``) turn figures into findings; findings are
also recorded as alerts after writes (``service.risk_alerts``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from functools import partial
from typing import Literal

from pydantic import BaseModel, Field

from provgraph.service.ancestry import indexed_closure, read_in_batches
from provgraph.service.errors import InvalidInput, NotFound
from provgraph.service.lineage_index import EpochCache, LineageIndex
from provgraph.service.models import EdgeKind, as_of_instant
from provgraph.service.risk_dag import EDGE_TYPES, KINDS, NONE, Dag, DagBuilder
from provgraph.service.settings import Settings
from provgraph.service.store import Store, Tx

__all__ = [
    "ANCESTRY_LIMIT",
    "Contamination",
    "RiskFinding",
    "RiskReport",
    "RiskThresholds",
    "SelfConsumption",
    "risk_report",
    "risk_reports_tx",
]

ANCESTRY_LIMIT = 250_000
FACTS_BATCH = 5_000  # ids per risk_nodes query
REPORTS = EpochCache(release_after_compute=True)  # cold reports: seconds, big temporaries
Severity = Literal["error", "warning"]
Interval = tuple[Fraction, Fraction]
_UNKNOWN: Interval = (Fraction(0), Fraction(1))


@dataclass(frozen=True)
class RiskThresholds:
    """Flag below ``min_human_fraction`` human data or beyond ``max_generations``."""

    min_human_fraction: float = 0.10
    max_generations: int = 2

    def __post_init__(self) -> None:
        if not 0 <= self.min_human_fraction <= 1:
            raise InvalidInput("min_human_fraction must be between 0 and 1")
        if self.max_generations < 0:
            raise InvalidInput("max_generations must be 0 or more")

    @classmethod
    def from_settings(cls, settings: Settings) -> RiskThresholds:
        return cls(settings.risk_min_human_fraction, settings.risk_max_generations)


class SelfConsumption(BaseModel):
    """Models trained (directly or through derived data) on outputs of their own family:
    one entry per family, witnessed by the nearest such model (the artifact itself first)."""

    model: str = Field(description="the nearest model that consumed its own family's outputs")
    family: str
    generators: list[str] = Field(description="models of that family whose outputs it used")
    models: int = Field(
        default=1, description="models in the ancestry (and the artifact) that did so, in all"
    )


class Contamination(BaseModel):
    """Models whose ancestry holds outputs of another vendor's model: one entry per pair of
    vendors, witnessed by the nearest such model and the first such generator upstream."""

    model: str
    vendor: str
    generator: str
    generator_vendor: str
    models: int = Field(default=1, description="models of `vendor` with this contamination")
    generators: int = Field(
        default=1, description="distinct models of `generator_vendor` whose outputs they used"
    )


class RiskFinding(BaseModel):
    rule: str
    severity: Severity
    node: str = Field(description="the artifact assessed")
    origin: str | None = Field(default=None, description="the model or generator concerned")
    explanation: str
    remedy: str


class RiskReport(BaseModel):
    """`provgraph risk ID --json` and `GET /api/v1/artifacts/{id}/risk`."""

    id: str
    synthetic_generations: int = Field(description="most GENERATED_BY hops on any upstream path")
    human_fraction: float | tuple[float, float] = Field(
        description="record-weighted share of human data; [min, max] when weights are missing"
    )
    self_consumption: list[SelfConsumption]
    vendors: list[str] = Field(description="vendors of the models in the ancestry")
    cross_vendor: list[Contamination]
    findings: list[RiskFinding]


_SOURCE, _DATASET, _MODEL = (KINDS.index(k) for k in ("source", "dataset", "model"))
_GEN = EDGE_TYPES.index(EdgeKind.GENERATED_BY.value)
_FT = EDGE_TYPES.index(EdgeKind.FINE_TUNED_FROM.value)
_ZERO: Interval = (Fraction(0), Fraction(0))
_ONE: Interval = (Fraction(1), Fraction(1))


def _topological(dag: Dag) -> list[int]:
    """Parents before children (Kahn's algorithm over positions)."""
    n, ptr, parent = dag.size, dag.ptr, dag.parent
    waiting = [ptr[i + 1] - ptr[i] for i in range(n)]  # parent edges not yet done
    children: list[list[int]] = [[] for _ in range(n)]
    for child in range(n):
        for e in range(ptr[child], ptr[child + 1]):
            children[parent[e]].append(child)
    order = [i for i in range(n) if waiting[i] == 0]
    for node in order:  # the list grows while it is walked
        for child in children[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                order.append(child)
    return order


def _dot(weights: list[int], values: list[Fraction]) -> Fraction:
    """The exact sum of weight x value over one common denominator: one normalisation,
    not one per term (pure-Python Fraction arithmetic was most of the pass)."""
    if not values:
        return Fraction(0)
    common = math.lcm(*(v.denominator for v in values))
    return Fraction(
        sum(
            w * v.numerator * (common // v.denominator)
            for w, v in zip(weights, values, strict=True)
        ),
        common,
    )


def _mix(declared: int | None, parts: list[tuple[int | None, Interval]]) -> Interval:
    """The share of human records of a node of ``declared`` records (None: unknown) from
    its parents' (weight, interval)."""
    if not parts:
        return _UNKNOWN  # no recorded origin
    weights = [w for w, _ in parts if w is not None]
    shares = [c for w, c in parts if w is not None]
    unknown = [c for w, c in parts if w is None]
    total = sum(weights)
    low = _dot(weights, [c[0] for c in shares])
    high = _dot(weights, [c[1] for c in shares])
    if not unknown:
        size = max(total, declared or 0)
        if size == 0:  # every weight is zero: nothing to weigh by
            return min(c[0] for c in shares), max(c[1] for c in shares)
        # Records the edges do not account for are of unknown origin.
        return low / size, (high + size - total) / size
    if declared is not None and declared >= total and declared > 0:
        # The edges without counts share the records the others leave.
        rest = declared - total
        return (
            (low + rest * min(c[0] for c in unknown)) / declared,
            (high + rest * max(c[1] for c in unknown)) / declared,
        )
    # Free weights: any mixture of the known part and the unknown parents.
    bounds = list(unknown) + ([(low / total, high / total)] if total > 0 else [])
    return min(c[0] for c in bounds), max(c[1] for c in bounds)


def _figures(dag: Dag, order: list[int]) -> tuple[list[int], list[Interval]]:
    """Generations and human share of every node of the DAG, in one topological pass."""
    ptr, parent, types, weights = dag.ptr, dag.parent, dag.type, dag.edge_records
    generations = [0] * dag.size
    human: list[Interval] = [_UNKNOWN] * dag.size
    for node in order:
        edges = range(ptr[node], ptr[node + 1])
        generations[node] = max(
            (generations[parent[e]] + (types[e] == _GEN) for e in edges), default=0
        )
        if dag.kind[node] == _SOURCE:
            flag = dag.human[node]
            human[node] = _UNKNOWN if flag == NONE else (_ONE if flag else _ZERO)
            continue
        parts: list[tuple[int | None, Interval]] = [
            (
                None if weights[e] == NONE else weights[e],
                _ZERO if types[e] == _GEN else human[parent[e]],
            )
            for e in edges
        ]
        records = dag.records[node]
        human[node] = _mix(None if records == NONE else records, parts)
    return generations, human


def _as_figure(interval: Interval) -> float | tuple[float, float]:
    low, high = interval
    return float(low) if low == high else (float(low), float(high))


def _percent(value: Fraction | float) -> str:
    return f"{float(value) * 100:.4g}%"


def _listed(ids: list[str], shown: int = 5) -> str:
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + (f" and {more} more" if more > 0 else "")


def _likewise(others: int) -> str:
    """The clause an aggregated finding adds for the models it stands for besides its witness."""
    if others <= 0:
        return ""
    return f"; {others} other model{'s' if others > 1 else ''} in its ancestry likewise"


def _findings(
    root: str,
    generations: int,
    human: Interval,
    consumption: list[SelfConsumption],
    contamination: list[Contamination],
    thresholds: RiskThresholds,
) -> list[RiskFinding]:
    found: list[RiskFinding] = []
    floor = Fraction(repr(thresholds.min_human_fraction))  # 0.1 means 1/10, not the float
    keep = f"keep at least {_percent(floor)} original human data in every generation"
    if human[1] < floor:
        found.append(
            RiskFinding(
                rule="low-human-fraction",
                severity="error",
                node=root,
                explanation=f"at most {_percent(human[1])} of its records trace back to human "
                f"sources, below the {_percent(floor)} threshold (model-collapse risk)",
                remedy=keep,
            )
        )
    elif human[0] < floor and generations > 0:
        # Uncertain only: worth a warning where model outputs are upstream, not for every
        # artifact whose origin is simply unrecorded.
        found.append(
            RiskFinding(
                rule="low-human-fraction",
                severity="warning",
                node=root,
                explanation=f"between {_percent(human[0])} and {_percent(human[1])} of its "
                f"records trace back to human sources: record counts are missing, so it may "
                f"be below the {_percent(floor)} threshold",
                remedy="record the `records` of its lineage edges to get an exact figure; " + keep,
            )
        )
    if generations > thresholds.max_generations:
        found.append(
            RiskFinding(
                rule="too-many-synthetic-generations",
                severity="error",
                node=root,
                explanation=f"{generations} synthetic generations upstream (model outputs "
                f"trained on model outputs), beyond the limit of {thresholds.max_generations}",
                remedy="regenerate from an earlier generation or from human data",
            )
        )
    for item in consumption:
        found.append(
            RiskFinding(
                rule="self-consumption",
                severity="warning",
                node=root,
                origin=item.model,
                explanation=f"{item.model} was trained on outputs of its own family "
                f"{item.family!r} ({_listed(item.generators)})" + _likewise(item.models - 1),
                remedy="mix in fresh human data, or outputs of other model families",
            )
        )
    for c in contamination:
        found.append(
            RiskFinding(
                rule="cross-vendor-contamination",
                severity="warning",
                node=root,
                origin=c.generator,
                explanation=f"{c.model} ({c.vendor}) was trained on outputs of {c.generator} "
                f"({c.generator_vendor}): it may answer as the other vendor's model, and "
                "carries that vendor's terms"
                + _likewise(c.models - 1)
                + (
                    f" (outputs of {c.generators} {c.generator_vendor} models in all)"
                    if c.generators > 1
                    else ""
                ),
                remedy="filter that generator's records out of the training data "
                "(`provgraph records DATASET --generator MODEL`) or disclose them",
            )
        )
    return found


def _ancestors(dag: Dag, root: int) -> list[int]:
    """Distinct ancestors of ``root`` within the DAG (each once, BFS order: nearest first)."""
    ptr, parent = dag.ptr, dag.parent
    seen = bytearray(dag.size)
    seen[root] = 1
    order: list[int] = []
    frontier = [root]
    while frontier:
        following: list[int] = []
        for node in frontier:
            for e in range(ptr[node], ptr[node + 1]):
                p = parent[e]
                if not seen[p]:
                    seen[p] = 1
                    order.append(p)
                    following.append(p)
        frontier = following
    return order


class _Bits:
    """Small bitmasks over the distinct values of one fact (families, vendors)."""

    def __init__(self, values: list[str | None]) -> None:
        self.names = sorted({v for v in values if v})
        self.bit = {name: 1 << i for i, name in enumerate(self.names)}

    def of(self, value: str | None) -> int:
        return self.bit.get(value, 0) if value else 0

    def names_in(self, bits: int) -> list[str]:
        """The values of ``bits``, in sorted order."""
        return [name for i, name in enumerate(self.names) if bits >> i & 1]


@dataclass
class _Upstream:
    """Per node, in one topological pass: the families and the vendors of the models whose
    outputs (``GENERATED_BY`` data) lie upstream, and the families along a model's
    fine-tuning chain, each as a small bitmask (families and vendors are few), so the pass
    is linear in edges and its memory a few ints a node. Which generators exactly is asked
    only for the few witnesses (``generated``)."""

    families: _Bits
    vendors: _Bits
    family_gen: list[int]
    vendor_gen: list[int]
    chain: list[int]


def _upstream(dag: Dag, order: list[int]) -> _Upstream:
    families, vendors = _Bits(dag.family), _Bits(dag.vendor)
    ptr, parent, types, kind = dag.ptr, dag.parent, dag.type, dag.kind
    own_family = [0] * dag.size  # dataset -> families of the models it was GENERATED_BY
    own_vendor = [0] * dag.size
    for node in range(dag.size):
        if kind[node] != _DATASET:
            continue
        for e in range(ptr[node], ptr[node + 1]):
            p = parent[e]
            if types[e] == _GEN and kind[p] == _MODEL:
                own_family[node] |= families.of(dag.family[p])
                own_vendor[node] |= vendors.of(dag.vendor[p])
    family_gen, vendor_gen, chain = [0] * dag.size, [0] * dag.size, [0] * dag.size
    for node in order:  # parents first
        f = v = 0
        c = families.of(dag.family[node]) if kind[node] == _MODEL else 0
        for e in range(ptr[node], ptr[node + 1]):
            p = parent[e]
            f |= family_gen[p] | own_family[p]
            v |= vendor_gen[p] | own_vendor[p]
            if types[e] == _FT:
                c |= chain[p]
        family_gen[node], vendor_gen[node], chain[node] = f, v, c
    return _Upstream(families, vendors, family_gen, vendor_gen, chain)


def _generated(dag: Dag, model: int) -> list[int]:
    """The models whose outputs ``model``'s ancestry holds (GENERATED_BY parents of the data
    upstream), in id order."""
    found: set[int] = set()
    ptr, parent, types = dag.ptr, dag.parent, dag.type
    for node in _ancestors(dag, model):
        if dag.kind[node] != _DATASET:
            continue
        for e in range(ptr[node], ptr[node + 1]):
            if types[e] == _GEN and dag.kind[parent[e]] == _MODEL:
                found.add(parent[e])
    return sorted(found)  # positions are in id order


def _used(
    dag: Dag, topo_rank: list[int], closure: list[int], vendors: _Bits
) -> dict[tuple[str, str], set[int]]:
    """Per (vendor, other vendor): the other vendor's models whose outputs lie upstream of
    some model of the vendor in ``closure`` (the root and its ancestors): one pass, children
    first, carrying which vendors' models each node is upstream of."""
    ptr, parent, types, kind = dag.ptr, dag.parent, dag.type, dag.kind
    below: dict[int, int] = {}
    for node in sorted(closure, key=topo_rank.__getitem__, reverse=True):
        here = below.get(node, 0)
        mine = vendors.of(dag.vendor[node]) if kind[node] == _MODEL else 0
        for e in range(ptr[node], ptr[node + 1]):
            p = parent[e]
            below[p] = below.get(p, 0) | here | mine
    used: dict[tuple[str, str], set[int]] = {}
    for node in closure:
        if kind[node] != _DATASET or not below.get(node):
            continue
        for e in range(ptr[node], ptr[node + 1]):
            g = parent[e]
            other = dag.vendor[g]
            if types[e] != _GEN or kind[g] != _MODEL or not other:
                continue
            for vendor in vendors.names_in(below[node]):
                if vendor != other:
                    used.setdefault((vendor, other), set()).add(g)
    return used


def _generator_sets(
    dag: Dag,
    upstream: _Upstream,
    models: list[int],
    used: Callable[[], dict[tuple[str, str], set[int]]],
) -> tuple[list[SelfConsumption], list[Contamination]]:
    """Self-consumption per family and contamination per vendor pair over ``models``
    (nearest first), so the answer is bounded by families and vendors, not by models."""
    consumption: dict[str, SelfConsumption] = {}
    contamination: dict[tuple[str, str], Contamination] = {}
    cache: dict[int, list[int]] = {}

    def generated(model: int) -> list[int]:
        if model not in cache:
            cache[model] = _generated(dag, model)
        return cache[model]

    for model in models:
        for family in upstream.families.names_in(
            upstream.chain[model] & upstream.family_gen[model]
        ):
            if family in consumption:
                consumption[family].models += 1
            else:
                same = [dag.ids[g] for g in generated(model) if dag.family[g] == family]
                consumption[family] = SelfConsumption(
                    model=dag.ids[model], family=family, generators=same
                )
        vendor = dag.vendor[model]
        if not vendor:
            continue
        others = upstream.vendor_gen[model] & ~upstream.vendors.of(vendor)
        new: list[tuple[str, int]] = []  # (other vendor, its first generator here)
        for other in upstream.vendors.names_in(others):
            if (vendor, other) in contamination:
                contamination[(vendor, other)].models += 1
            else:
                first = next(g for g in generated(model) if dag.vendor[g] == other)
                new.append((other, first))
        for other, first in sorted(new, key=lambda item: item[1]):  # as the ids sort
            contamination[(vendor, other)] = Contamination(
                model=dag.ids[model],
                vendor=vendor,
                generator=dag.ids[first],
                generator_vendor=other,
            )
    if contamination:
        counted = used()
        for pair, found in contamination.items():
            found.generators = len(counted.get(pair, ()))
    return list(consumption.values()), list(contamination.values())


def risk_reports_tx(
    tx: Tx, ids: list[str], *, thresholds: RiskThresholds, as_of: datetime
) -> dict[str, RiskReport]:
    """Reports of several artifacts from one union ancestry and one pass (alerts use it);
    unknown ids are left out."""
    return _reports(_ancestry(tx, ids, as_of), ids, thresholds)


def _too_large(ids: list[str]) -> InvalidInput:
    return InvalidInput(
        f"the ancestry of {', '.join(ids[:3])} has more than {ANCESTRY_LIMIT:,} nodes: "
        "too many to assess"
    )


def _ancestry(tx: Tx, ids: list[str], as_of: datetime) -> Dag:
    """The union ancestry by Cypher (``risk_ancestry``), folded row by row."""
    builder = DagBuilder()
    for row in tx.stream("risk_ancestry", ids=ids, as_of=as_of, limit=ANCESTRY_LIMIT):
        builder.add(row)
        if builder.total > ANCESTRY_LIMIT:
            raise _too_large(ids)
    return builder.dag()


def _read(
    store: Store, ids: list[str], when: datetime, *, now: bool, index: LineageIndex | None = None
) -> Dag:
    """The union ancestry: about now through the lineage index when it is valid (facts by
    id in batches), else by Cypher."""
    if now:
        closure = indexed_closure(store, ids, ANCESTRY_LIMIT, index=index)
        if closure is not None:
            if closure.total > ANCESTRY_LIMIT:
                raise _too_large(ids)
            built = read_in_batches(
                store,
                "risk_nodes",
                closure,
                lambda: DagBuilder(closure.ids),
                batch=FACTS_BATCH,
                as_of=when,
            )
            if built is not None:
                return built.dag()
    return store.read(lambda tx: _ancestry(tx, ids, when))


def _reports(dag: Dag, ids: list[str], thresholds: RiskThresholds) -> dict[str, RiskReport]:
    if not dag.size:
        return {}
    order = _topological(dag)
    generations, human = _figures(dag, order)
    upstream = _upstream(dag, order)
    rank = [0] * dag.size
    for at, node in enumerate(order):
        rank[node] = at
    reports: dict[str, RiskReport] = {}
    for root_id in dict.fromkeys(ids):
        root = dag.position(root_id)
        if root is None:
            continue
        ancestors = _ancestors(dag, root)
        closure = [root, *ancestors]
        models = [n for n in closure if dag.kind[n] == _MODEL]  # nearest first
        vendors = sorted({v for n in ancestors if dag.kind[n] == _MODEL and (v := dag.vendor[n])})
        consumption, contamination = _generator_sets(
            dag, upstream, models, partial(_used, dag, rank, closure, upstream.vendors)
        )
        reports[root_id] = RiskReport(
            id=root_id,
            synthetic_generations=generations[root],
            human_fraction=_as_figure(human[root]),
            self_consumption=consumption,
            vendors=vendors,
            cross_vendor=contamination,
            findings=_findings(
                root_id, generations[root], human[root], consumption, contamination, thresholds
            ),
        )
    return reports


def risk_report(
    store: Store,
    artifact_id: str,
    *,
    thresholds: RiskThresholds | None = None,
    as_of: datetime | None = None,
) -> RiskReport:
    """Synthetic-data figures and findings of one artifact (one consistent read).

    On large graphs a report about now is kept until the graph changes (``EpochCache``),
    as license reports are."""
    limits = thresholds or RiskThresholds.from_settings(Settings.from_env())
    if as_of is None:
        return REPORTS.get(
            store,
            ("risk", artifact_id, limits),
            lambda: _risk_report(store, artifact_id, limits, None),
            size=lambda r: len(r.findings) + len(r.self_consumption) + len(r.cross_vendor),
        )
    return _risk_report(store, artifact_id, limits, as_of)


def _risk_report(
    store: Store,
    artifact_id: str,
    limits: RiskThresholds,
    as_of: datetime | None,
    *,
    index: LineageIndex | None = None,
) -> RiskReport:
    when = as_of_instant(as_of)
    # Rows are folded as they come; the pass runs after the read transaction.
    dag = _read(store, [artifact_id], when, now=as_of is None, index=index)
    reports = _reports(dag, [artifact_id], limits)
    if artifact_id not in reports:
        raise NotFound(artifact_id)
    return reports[artifact_id]
