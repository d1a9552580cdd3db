"""Synthetic-data risk of one artifact: model collapse and contamination signals.

One named query reads the lineage (distinct nodes by pruning BFS, then one hop; never
paths): ``risk_ancestry`` returns the ancestry as a weighted DAG with each node's kind,
vendor and family. Everything else is one pass over that DAG in topological order, linear
in nodes and edges, done here (a per-model Cypher search for generators was quadratic in the
ancestry and ran out of transaction memory at 22k ancestors):

- ``synthetic_generations``: the most ``GENERATED_BY`` hops on any upstream path.
- ``human_fraction``: the record-weighted share of records that trace back to human
  sources. A ``GENERATED_BY`` edge contributes model output (0 human); ``DERIVED_FROM``,
  ``TRAINED_ON`` and ``FINE_TUNED_FROM`` edges contribute their parent's share, weighted by
  the edge's ``records``. A source counts 1 (``human: true``), 0 (``false``) or unknown;
  an artifact with no recorded origin is unknown. Unknown shares and unknown weights make
  the figure an exact [min, max] interval rather than a guess (docs/risk.md gives the rules).

- the set questions: vendors upstream, and per model the generators whose outputs its
  training data holds (bitmasks over generators) and its families along fine-tuning.
  Self-consumption is answered per family and contamination per pair of vendors, each with
  the nearest model as witness and counts, so the answer is bounded by families and vendors,
  not by the number of models upstream.

Thresholds (``RiskThresholds``, from ``Settings``) turn figures into findings; findings are
also recorded as alerts after writes (``service.risk_alerts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, Field

from provgraph.service.errors import InvalidInput, NotFound
from provgraph.service.lineage_index import EpochCache
from provgraph.service.models import EdgeKind, as_of_instant
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
REPORTS = EpochCache()
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


@dataclass
class _Node:
    id: str
    kind: str
    human: bool | None
    records: int | None
    edges: list[tuple[str, str, int | None]]  # (parent, type, records)
    vendor: str | None = None
    family: str | None = None


def _topological(nodes: dict[str, _Node]) -> list[str]:
    """Parents before children (iterative DFS post-order over every node)."""
    order: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, int]] = [(node_id, 0) for node_id in reversed(list(nodes))]
    while stack:
        node_id, i = stack.pop()
        if i == 0:
            if node_id in seen:
                continue
            seen.add(node_id)
        edges = nodes[node_id].edges
        if i < len(edges):
            stack.append((node_id, i + 1))
            parent = edges[i][0]
            if parent not in seen and parent in nodes:
                stack.append((parent, 0))
        else:
            order.append(node_id)
    return order


def _mix(node: _Node, parts: list[tuple[int | None, Interval]]) -> Interval:
    """The share of human records of ``node`` from its parents' (weight, interval)."""
    if not parts:
        return _UNKNOWN  # no recorded origin
    known = [(Fraction(w), c) for w, c in parts if w is not None]
    unknown = [c for w, c in parts if w is None]
    total = sum((w for w, _ in known), Fraction(0))
    low = sum((w * c[0] for w, c in known), Fraction(0))
    high = sum((w * c[1] for w, c in known), Fraction(0))
    declared = node.records
    if not unknown:
        size = max(total, Fraction(declared or 0))
        if size == 0:  # every weight is zero: nothing to weigh by
            return min(c[0] for _, c in known), max(c[1] for _, c in known)
        # Records the edges do not account for are of unknown origin.
        return low / size, (high + size - total) / size
    if declared is not None and declared >= total and declared > 0:
        # The edges without counts share the records the others leave.
        rest = Fraction(declared) - total
        return (
            (low + rest * min(c[0] for c in unknown)) / declared,
            (high + rest * max(c[1] for c in unknown)) / declared,
        )
    # Free weights: any mixture of the known part and the unknown parents.
    bounds = list(unknown) + ([(low / total, high / total)] if total > 0 else [])
    return min(c[0] for c in bounds), max(c[1] for c in bounds)


def _figures(
    nodes: dict[str, _Node], order: list[str]
) -> tuple[dict[str, int], dict[str, Interval]]:
    """Generations and human share of every node of the DAG, in one topological pass."""
    generations: dict[str, int] = {}
    human: dict[str, Interval] = {}
    for node_id in order:
        node = nodes[node_id]
        edges = [e for e in node.edges if e[0] in nodes]
        generations[node_id] = max(
            (generations[p] + (kind == EdgeKind.GENERATED_BY) for p, kind, _ in edges), default=0
        )
        if node.kind == "source":
            human[node_id] = _UNKNOWN if node.human is None else (Fraction(int(node.human)),) * 2
            continue
        parts: list[tuple[int | None, Interval]] = [
            (records, (Fraction(0), Fraction(0)) if kind == EdgeKind.GENERATED_BY else human[p])
            for p, kind, records in edges
        ]
        human[node_id] = _mix(node, parts)
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


def _ancestors(nodes: dict[str, _Node], root: str) -> list[str]:
    """Distinct ancestors of ``root`` within the fetched DAG (each once, BFS order)."""
    seen = {root}
    order: list[str] = []
    frontier = [root]
    while frontier:
        following: list[str] = []
        for node_id in frontier:
            for parent, _, _ in nodes[node_id].edges:
                if parent not in seen and parent in nodes:
                    seen.add(parent)
                    order.append(parent)
                    following.append(parent)
        frontier = following
    return order


@dataclass
class _Upstream:
    """Per node, the set questions answered in one topological pass over the DAG: the
    generators whose outputs lie upstream (as bits over ``generators``) and the model
    families along its fine-tuning chain. Sets as int bitmasks keep the pass linear in
    edges times a machine word per 64 generators."""

    generators: list[str]
    generated: dict[str, int]  # node -> generators whose outputs it holds upstream
    families: dict[str, set[str]]

    def generator_ids(self, node_id: str) -> list[str]:
        bits, found = self.generated.get(node_id, 0), []
        while bits:
            low = bits & -bits
            found.append(self.generators[low.bit_length() - 1])
            bits ^= low
        return found


def _upstream(nodes: dict[str, _Node], order: list[str]) -> _Upstream:
    generators: list[str] = []
    bit: dict[str, int] = {}
    own: dict[str, int] = {}  # dataset -> the models it was GENERATED_BY
    for node_id, node in nodes.items():
        if node.kind != "dataset":
            continue
        for parent, kind, _ in node.edges:
            if kind == EdgeKind.GENERATED_BY and parent in nodes and nodes[parent].kind == "model":
                if parent not in bit:
                    bit[parent] = 1 << len(generators)
                    generators.append(parent)
                own[node_id] = own.get(node_id, 0) | bit[parent]
    generated: dict[str, int] = {}
    families: dict[str, set[str]] = {}
    for node_id in order:  # parents first
        node = nodes[node_id]
        bits = 0
        chain = {node.family} if node.kind == "model" and node.family else set()
        for parent, kind, _ in node.edges:
            if parent not in nodes:
                continue
            bits |= generated[parent] | own.get(parent, 0)
            if kind == EdgeKind.FINE_TUNED_FROM:
                chain |= families[parent]
        generated[node_id] = bits
        families[node_id] = chain
    return _Upstream(generators, generated, families)


def _generator_sets(
    nodes: dict[str, _Node], upstream: _Upstream, models: list[str]
) -> tuple[list[SelfConsumption], list[Contamination]]:
    """Self-consumption per family and contamination per vendor pair over ``models``
    (nearest first), so the answer is bounded by families and vendors, not by models."""
    consumption: dict[str, SelfConsumption] = {}
    contamination: dict[tuple[str, str], Contamination] = {}
    used: dict[tuple[str, str], set[str]] = {}
    for model_id in models:
        model = nodes[model_id]
        generators = sorted(g for g in upstream.generator_ids(model_id) if g != model_id)
        for family in sorted(upstream.families[model_id]):
            same = [g for g in generators if nodes[g].family == family]
            if not same:
                continue
            if family in consumption:
                consumption[family].models += 1
            else:
                consumption[family] = SelfConsumption(
                    model=model_id, family=family, generators=same
                )
        vendor = model.vendor
        if not vendor:
            continue
        seen_here: set[str] = set()
        for g in generators:
            other = nodes[g].vendor
            if not other or other == vendor:
                continue
            pair = (vendor, other)
            used.setdefault(pair, set()).add(g)
            if pair not in contamination:
                contamination[pair] = Contamination(
                    model=model_id, vendor=vendor, generator=g, generator_vendor=other
                )
            elif other not in seen_here:
                contamination[pair].models += 1
            seen_here.add(other)
    for pair, found in contamination.items():
        found.generators = len(used[pair])
    return list(consumption.values()), list(contamination.values())


def risk_reports_tx(
    tx: Tx, ids: list[str], *, thresholds: RiskThresholds, as_of: datetime
) -> dict[str, RiskReport]:
    """Reports of several artifacts from one union ancestry and one pass (alerts use it);
    unknown ids are left out."""
    return _reports(_ancestry(tx, ids, as_of), ids, thresholds)


def _ancestry(tx: Tx, ids: list[str], as_of: datetime) -> dict[str, _Node]:
    rows = tx.run("risk_ancestry", ids=ids, as_of=as_of, limit=ANCESTRY_LIMIT, raw=True)
    if rows and rows[0]["total"] > ANCESTRY_LIMIT:
        raise InvalidInput(
            f"the ancestry of {', '.join(ids[:3])} has more than {ANCESTRY_LIMIT:,} nodes: "
            "too many to assess"
        )
    return {
        r["node"]["id"]: _Node(
            id=r["node"]["id"],
            kind=r["node"]["kind"],
            human=r["node"]["human"],
            records=r["node"]["records"],
            edges=[(e["to"], e["type"], e["records"]) for e in r["edges"]],
            vendor=r["node"]["vendor"],
            family=r["node"]["family"],
        )
        for r in rows
    }


def _reports(
    nodes: dict[str, _Node], ids: list[str], thresholds: RiskThresholds
) -> dict[str, RiskReport]:
    if not nodes:
        return {}
    order = _topological(nodes)
    generations, human = _figures(nodes, order)
    upstream = _upstream(nodes, order)
    reports: dict[str, RiskReport] = {}
    for root in dict.fromkeys(i for i in ids if i in nodes):
        ancestors = _ancestors(nodes, root)
        models = [n for n in [root, *ancestors] if nodes[n].kind == "model"]  # nearest first
        vendors = sorted(
            {v for n in ancestors if nodes[n].kind == "model" and (v := nodes[n].vendor)}
        )
        consumption, contamination = _generator_sets(nodes, upstream, models)
        reports[root] = RiskReport(
            id=root,
            synthetic_generations=generations[root],
            human_fraction=_as_figure(human[root]),
            self_consumption=consumption,
            vendors=vendors,
            cross_vendor=contamination,
            findings=_findings(
                root, generations[root], human[root], consumption, contamination, thresholds
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
    store: Store, artifact_id: str, limits: RiskThresholds, as_of: datetime | None
) -> RiskReport:
    when = as_of_instant(as_of)
    # Read in the transaction, compute after it: the pass must not hold it open.
    nodes = store.read(lambda tx: _ancestry(tx, [artifact_id], when))
    reports = _reports(nodes, [artifact_id], limits)
    if artifact_id not in reports:
        raise NotFound(artifact_id)
    return reports[artifact_id]
