"""Synthetic-data risk of one artifact: model collapse and contamination signals.

Two named queries read the lineage (distinct nodes by pruning BFS, then one hop; never
paths): ``risk_ancestry`` returns the ancestry as a weighted DAG, ``risk_generators``
answers the set questions (vendors upstream, which generators each model's training data
came from). Two figures need a pass over that DAG in topological order, linear in nodes and
edges, done here:

- ``synthetic_generations``: the most ``GENERATED_BY`` hops on any upstream path.
- ``human_fraction``: the record-weighted share of records that trace back to human
  sources. A ``GENERATED_BY`` edge contributes model output (0 human); ``DERIVED_FROM``,
  ``TRAINED_ON`` and ``FINE_TUNED_FROM`` edges contribute their parent's share, weighted by
  the edge's ``records``. A source counts 1 (``human: true``), 0 (``false``) or unknown;
  an artifact with no recorded origin is unknown. Unknown shares and unknown weights make
  the figure an exact [min, max] interval rather than a guess (docs/risk.md gives the rules).

Thresholds (``RiskThresholds``, from ``Settings``) turn figures into findings; findings are
also recorded as alerts after writes (``service.risk_alerts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, Field

from provgraph.service.errors import InvalidInput, NotFound
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

ANCESTRY_LIMIT = 100_000
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
    """A model trained (directly or through derived data) on outputs of its own family."""

    model: str
    family: str
    generators: list[str] = Field(description="models of that family whose outputs it used")


class Contamination(BaseModel):
    """A model whose ancestry holds outputs of another vendor's model."""

    model: str
    vendor: str
    generator: str
    generator_vendor: str


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


def _figures(nodes: dict[str, _Node]) -> tuple[dict[str, int], dict[str, Interval]]:
    """Generations and human share of every node of the DAG, in one topological pass."""
    generations: dict[str, int] = {}
    human: dict[str, Interval] = {}
    for node_id in _topological(nodes):
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
                f"{item.family!r} ({', '.join(item.generators)})",
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
                "carries that vendor's terms",
                remedy="filter that generator's records out of the training data "
                "(`provgraph records DATASET --generator MODEL`) or disclose them",
            )
        )
    return found


def _generator_sets(
    models: list[dict[str, Any]],
) -> tuple[list[SelfConsumption], list[Contamination]]:
    consumption: list[SelfConsumption] = []
    contamination: list[Contamination] = []
    for entry in models:
        generators = [g for g in entry["generators"] if g["id"] != entry["model"]]
        for family in sorted(set(entry["families"])):
            same = [g["id"] for g in generators if g["family"] == family]
            if same:
                consumption.append(
                    SelfConsumption(model=entry["model"], family=family, generators=same)
                )
        vendor = entry["vendor"]
        for g in generators:
            if vendor and g["vendor"] and g["vendor"] != vendor:
                contamination.append(
                    Contamination(
                        model=entry["model"],
                        vendor=vendor,
                        generator=g["id"],
                        generator_vendor=g["vendor"],
                    )
                )
    return consumption, contamination


def risk_reports_tx(
    tx: Tx, ids: list[str], *, thresholds: RiskThresholds, as_of: datetime
) -> dict[str, RiskReport]:
    """Reports of several artifacts from one union ancestry and one pass (alerts use it);
    unknown ids are left out."""
    rows = tx.run("risk_ancestry", ids=ids, as_of=as_of, limit=ANCESTRY_LIMIT)
    if not rows:
        return {}
    if rows[0]["total"] > ANCESTRY_LIMIT:
        raise InvalidInput(
            f"the ancestry of {', '.join(ids[:3])} has more than {ANCESTRY_LIMIT:,} nodes: "
            "too many to assess"
        )
    nodes = {
        r["node"]["id"]: _Node(
            id=r["node"]["id"],
            kind=r["node"]["kind"],
            human=r["node"]["human"],
            records=r["node"]["records"],
            edges=[(e["to"], e["type"], e["records"]) for e in r["edges"]],
        )
        for r in rows
    }
    generations, human = _figures(nodes)
    if any(n.kind == "model" for n in nodes.values()):
        generator_rows = tx.run("risk_generators", ids=ids, as_of=as_of)
    else:  # no model anywhere: no vendors, generators or families to look for
        generator_rows = [{"id": i, "vendors": [], "models": []} for i in ids if i in nodes]
    reports: dict[str, RiskReport] = {}
    for sets in generator_rows:
        root = sets["id"]
        consumption, contamination = _generator_sets(sets["models"])
        reports[root] = RiskReport(
            id=root,
            synthetic_generations=generations[root],
            human_fraction=_as_figure(human[root]),
            self_consumption=consumption,
            vendors=list(sets["vendors"]),
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
    """Synthetic-data figures and findings of one artifact (one consistent read)."""
    limits = thresholds or RiskThresholds.from_settings(Settings.from_env())
    when = as_of_instant(as_of)
    reports = store.read(
        lambda tx: risk_reports_tx(tx, [artifact_id], thresholds=limits, as_of=when)
    )
    if artifact_id not in reports:
        raise NotFound(artifact_id)
    return reports[artifact_id]
