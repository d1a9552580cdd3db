"""License answers for one artifact: effective clauses, category, conflicts, use checks,
attribution. The CLI and the API both call these functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from provgraph.service.errors import NotFound
from provgraph.service.licensing.ancestry import graph_from_rows, read_ancestry
from provgraph.service.licensing.categories import Category, combine
from provgraph.service.licensing.kb import ClauseType, DpiClass, KnowledgeBase, load_kb
from provgraph.service.licensing.propagation import (
    Hop,
    Instance,
    LicenseGraph,
    NodeFacts,
    NodeLicenses,
    Policy,
    propagate,
)
from provgraph.service.licensing.rules import TAINT_RULES, Finding, evaluate, inherited
from provgraph.service.lineage_index import EpochCache, LineageIndex
from provgraph.service.models import Distribution, EdgeKind, IntendedUse, as_of_instant
from provgraph.service.records import plain
from provgraph.service.store import Store, Tx

__all__ = [
    "ANCESTRY_LIMIT",
    "ClauseView",
    "LicenseReport",
    "UseVerdict",
    "analyse",
    "attribution",
    "categories",
    "graph_from_rows",
    "license_report",
    "load_graph",
    "load_graph_many",
    "model_families",
    "use_check",
]

# Propagation is linear in the ancestry and its answer bounded by the KB, so the cap only
# bounds the memory of one ancestry read (~2 KB a node): the 1M-node benchmark's deepest
# artifact has 123k ancestors.
ANCESTRY_LIMIT = 250_000
REPORTS = EpochCache(release_after_compute=True)  # cold reports: seconds, big temporaries
_ATTRIBUTION_TYPES = {
    ClauseType.ATTRIBUTION: "credit",
    ClauseType.NOTICE_FILE: "notice",
    ClauseType.INCLUDE_LICENSE_COPY: "license copy",
    ClauseType.BRANDING_DISPLAY: "branding",
    ClauseType.PRODUCED_WORK_NOTICE: "produced-work notice",
    ClauseType.STATE_CHANGES: "state changes",
    ClauseType.AI_GENERATED_DISCLOSURE: "AI-generated disclosure",
}


class ClauseView(BaseModel):
    license: str
    clause: str
    type: str
    origin: str
    path: list[dict[str, str]]
    source: dict[str, Any]
    conservative: bool = Field(description="reached only through hops the strict policy follows")
    origins: int = Field(1, description="distinct artifacts the clause reaches this one from")
    sample_origins: list[str] = Field(
        default_factory=list, description="a few of them, nearest first (the witness first)"
    )


class WaivedView(BaseModel):
    license: str
    clause: str
    origin: str
    path: list[dict[str, str]]
    waiver: dict[str, Any]
    origins: int = 1


class LicenseReport(BaseModel):
    """The stable JSON of `provgraph licenses ID --json`."""

    id: str
    policy: Policy
    as_of: str
    category: Category
    attribution: bool
    share_alike: bool
    declared: str | None
    clauses: list[ClauseView]
    waived: list[WaivedView]
    unknown: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    complete: bool
    truncated_reason: str | None = None


class UseVerdict(BaseModel):
    id: str
    intended_use: IntendedUse
    distribution: Distribution
    policy: Policy
    allowed: bool
    findings: list[dict[str, Any]]


def with_facts(store: Store | Tx, graph: LicenseGraph, node_ids: list[str]) -> None:
    """Every property of ``node_ids`` (the lean ancestry carries them for its roots only)."""
    missing = [i for i in node_ids if i in graph.nodes and not graph.nodes[i].full]
    if not missing:
        return
    if isinstance(store, Store):
        rows = store.query("license_facts", ids=missing, raw=True)
    else:
        rows = store.run("license_facts", ids=missing, raw=True)
    for row in rows:
        facts = graph.nodes[row["id"]]
        facts.full_props = {**{k: plain(v) for k, v in row["props"].items()}, "kind": facts.kind}


def load_graph(
    store: Store,
    artifact_id: str,
    when: datetime,
    *,
    now: bool = False,
    index: LineageIndex | None = None,
) -> tuple[LicenseGraph, bool]:
    """The artifact's ancestry at ``when`` for propagation; the flag says whether it was
    complete. ``now``: ``when`` is the present, so the lineage index may find the ancestry."""
    graph, total, found = read_ancestry(
        store, [artifact_id], when, ANCESTRY_LIMIT, now=now, index=index
    )
    if not found:
        raise NotFound(artifact_id)
    return graph, total <= ANCESTRY_LIMIT


def load_graph_many(
    store: Store, artifact_ids: list[str], when: datetime, *, now: bool = False
) -> tuple[LicenseGraph, bool]:
    """The union of several artifacts' ancestries: one propagation answers for all of them."""
    graph, total, _ = read_ancestry(store, artifact_ids, when, ANCESTRY_LIMIT, now=now)
    return graph, total <= ANCESTRY_LIMIT


def categories(
    store: Store,
    artifact_ids: list[str],
    *,
    policy: Policy = Policy.STRICT,
    as_of: datetime | None = None,
) -> dict[str, tuple[Category, int, int]]:
    """Category and flags of many artifacts in one query and one propagation pass."""
    graph, _ = load_graph_many(store, artifact_ids, as_of_instant(as_of), now=as_of is None)
    wanted = [node_id for node_id in artifact_ids if node_id in graph.nodes]
    effective = propagate(graph, load_kb(), policy, at=wanted)
    return {
        node_id: category_of(effective[node_id], graph.nodes[node_id], policy) for node_id in wanted
    }


def model_families(graph: LicenseGraph, node_ids: list[str]) -> dict[str, set[str]]:
    """Model families of each node: its own and those of the models it is fine-tuned from."""
    found: dict[str, set[str]] = {}
    for node_id in node_ids:
        families: set[str] = set()
        seen, frontier = {node_id}, [node_id]
        while frontier:
            current = frontier.pop()
            own = graph.nodes[current].get("family")
            if own:
                families.add(str(own))
            for hop in graph.parents(current):
                if hop.kind is EdgeKind.FINE_TUNED_FROM and hop.parent not in seen:
                    seen.add(hop.parent)
                    frontier.append(hop.parent)
        found[node_id] = families
    return found


def category_of(here: NodeLicenses, facts: NodeFacts, policy: Policy) -> tuple[Category, int, int]:
    """DPI-style category of one node: its own licenses plus what its ancestry imposes."""
    classes: list[DpiClass] = []
    unknown = False
    if here.declared is not None:
        classes += [entry.dpi for entry in here.declared.entries]
        unknown = bool(here.declared.unknown)
    else:
        classes.append(DpiClass(use="Unspecified", attribution="0", share_alike="0"))
    inherited: dict[str, list[Instance]] = {}
    for instance in here.in_force(is_model=facts.kind == "model"):
        if instance.path:
            inherited.setdefault(instance.license.id, []).append(instance)
    for instances in inherited.values():
        entry = instances[0].license
        if entry.is_contract:
            if policy is Policy.STRICT:  # vendor terms count as non-commercial, as DPI does
                classes.append(entry.dpi)
            continue
        types = {i.clause.type for i in instances}
        use = (
            "Acad"
            if ClauseType.RESEARCH_ONLY in types
            else "NC"
            if ClauseType.NON_COMMERCIAL in types
            else "All"
        )
        attribution = (
            "1"
            if types
            & {
                ClauseType.ATTRIBUTION,
                ClauseType.NOTICE_FILE,
                ClauseType.INCLUDE_LICENSE_COPY,
                ClauseType.PRODUCED_WORK_NOTICE,
                ClauseType.BRANDING_DISPLAY,
            }
            else "0"
        )
        share_alike = "1" if ClauseType.SHARE_ALIKE in types else "0"
        classes.append(DpiClass(use=use, attribution=attribution, share_alike=share_alike))  # type: ignore[arg-type]
    unknown = unknown or any(u.path and u.license for u in here.unknown)
    return combine(classes, unknown=unknown)


def analyse(
    graph: LicenseGraph,
    kb: KnowledgeBase,
    policy: Policy,
    node_id: str | None = None,
    *,
    store: Store,
) -> tuple[NodeLicenses, list[Finding], tuple[Category, int, int]]:
    """Propagate over ``graph`` and evaluate the rules at ``node_id`` (default: the root)
    and at the models it is fine-tuned from (their violations taint it). ``store``: where
    to read those models' properties (the lean ancestry does not carry them)."""
    node_id = node_id or graph.root
    bases = _fine_tune_bases(graph, node_id)
    with_facts(store, graph, [ancestor for ancestor, _ in bases])
    targets = [node_id, *(ancestor for ancestor, _ in bases)]
    effective = propagate(graph, kb, policy, at=targets)
    families = model_families(graph, targets)
    here = effective[node_id]
    facts = graph.nodes[node_id]
    findings = evaluate(facts, here, policy, families[node_id])
    own = {(f.rule, f.origin.get("node"), f.origin.get("license")) for f in findings}
    for ancestor, hops in bases:
        base = evaluate(graph.nodes[ancestor], effective[ancestor], policy, families[ancestor])
        for finding in base:
            key = (finding.rule, finding.origin.get("node"), finding.origin.get("license"))
            if finding.rule in TAINT_RULES and finding.severity == "error" and key not in own:
                own.add(key)
                findings.append(inherited(finding, hops, node_id))
    return here, findings, category_of(here, facts, policy)


def _fine_tune_bases(graph: LicenseGraph, node_id: str) -> list[tuple[str, tuple[Hop, ...]]]:
    """The models ``node_id`` is (transitively) fine-tuned from, each with its path."""
    found: list[tuple[str, tuple[Hop, ...]]] = []
    frontier: list[tuple[str, tuple[Hop, ...]]] = [(node_id, ())]
    seen = {node_id}
    while frontier:
        current, path = frontier.pop()
        for hop in graph.parents(current):
            if hop.kind is EdgeKind.FINE_TUNED_FROM and hop.parent not in seen:
                seen.add(hop.parent)
                found.append((hop.parent, (*path, hop)))
                frontier.append((hop.parent, (*path, hop)))
    return found


def _path(instance_path: tuple[Hop, ...]) -> list[dict[str, str]]:
    return [hop.as_dict() for hop in instance_path]


def license_report(
    store: Store,
    artifact_id: str,
    *,
    policy: Policy = Policy.STRICT,
    as_of: datetime | None = None,
    kb: KnowledgeBase | None = None,
) -> LicenseReport:
    """Declared license, effective clauses with origin, path and citation, category, conflicts.

    On large graphs, a report about now is kept until the graph changes (``EpochCache``):
    its ``as_of`` is then the instant it was computed, and nothing has changed since.
    """
    if as_of is None and kb is None:
        return REPORTS.get(
            store,
            ("licenses", artifact_id, policy),
            lambda: _license_report(store, artifact_id, policy=policy, as_of=None, kb=None),
            size=lambda r: len(r.clauses) + len(r.conflicts) + len(r.unknown),
        )
    return _license_report(store, artifact_id, policy=policy, as_of=as_of, kb=kb)


def _license_report(
    store: Store,
    artifact_id: str,
    *,
    policy: Policy,
    as_of: datetime | None,
    kb: KnowledgeBase | None,
) -> LicenseReport:
    when = as_of_instant(as_of)
    graph, complete = load_graph(store, artifact_id, when, now=as_of is None)
    here, findings, (category, attribution_flag, share_alike) = analyse(
        graph, kb or load_kb(), policy, store=store
    )
    clauses = [
        ClauseView(
            license=i.license.id,
            clause=i.clause.id,
            type=i.clause.type.value,
            origin=i.origin,
            path=_path(i.path),
            source=i.clause.citation.model_dump(),
            conservative=i.conservative,
            origins=i.origins,
            sample_origins=list(i.sample or (i.origin,)),
        )
        for i in sorted(
            here.in_force(is_model=graph.nodes[artifact_id].kind == "model"),
            key=lambda i: (len(i.path), i.license.id, i.clause.id, i.origin),
        )
    ]
    waived = [
        WaivedView(
            license=w.instance.license.id,
            clause=w.instance.clause.id,
            origin=w.instance.origin,
            path=_path(w.instance.path),
            waiver=w.waiver,
            origins=w.instance.origins,
        )
        for w in here.waived
    ]
    unknown = [
        {
            "license": u.license,
            "origin": u.origin,
            "path": _path(u.path),
            "origins": u.origins,
            "sample_origins": list(u.sample or (u.origin,)),
        }
        for u in here.unknown
        if u.path or u.license
    ]
    return LicenseReport(
        id=artifact_id,
        policy=policy,
        as_of=when.isoformat(),
        category=category,
        attribution=bool(attribution_flag),
        share_alike=bool(share_alike),
        declared=graph.nodes[artifact_id].declared_expression,
        clauses=clauses,
        waived=waived,
        unknown=unknown,
        conflicts=[f.as_dict() for f in findings],
        complete=complete,
        truncated_reason=None if complete else "limit",
    )


def use_check(
    store: Store,
    artifact_id: str,
    *,
    intended_use: IntendedUse,
    distribution: Distribution,
    policy: Policy = Policy.STRICT,
    as_of: datetime | None = None,
) -> UseVerdict:
    """Could this artifact be used this way? The rules, with the planned use put in its facts."""
    graph, _ = load_graph(store, artifact_id, as_of_instant(as_of), now=as_of is None)
    facts = graph.nodes[artifact_id]
    facts.props = {
        **facts.props,
        "intended_use": intended_use.value,
        "distribution": distribution.value,
    }
    _, findings, _ = analyse(graph, load_kb(), policy, store=store)
    errors = [f for f in findings if f.severity == "error"]
    return UseVerdict(
        id=artifact_id,
        intended_use=intended_use,
        distribution=distribution,
        policy=policy,
        allowed=not errors,
        findings=[f.as_dict() for f in findings],
    )


class AttributionItem(BaseModel):
    license: str
    kind: str
    origin: str
    text: str | None
    source: dict[str, Any]


def attribution(
    store: Store, artifact_id: str, *, policy: Policy = Policy.STRICT, as_of: datetime | None = None
) -> list[AttributionItem]:
    """The notices, credits and license copies a release of the artifact must carry."""
    graph, _ = load_graph(store, artifact_id, as_of_instant(as_of), now=as_of is None)
    # Every origin gets its credit, not only the witness: ask for all of them.
    here = propagate(graph, load_kb(), policy, sample=None)[artifact_id]
    items: dict[tuple[str, str, str], AttributionItem] = {}
    for i in here.in_force(is_model=graph.nodes[artifact_id].kind == "model"):
        kind = _ATTRIBUTION_TYPES.get(i.clause.type)
        if kind is None:
            continue
        for origin_id in i.sample or (i.origin,):
            origin = graph.nodes.get(origin_id)
            credit = (origin.get("name") if origin else None) or origin_id
            text = i.clause.params.get("text") or (
                f"{credit} ({origin_id}), {i.license.name}" if kind == "credit" else None
            )
            items.setdefault(
                (i.license.id, kind, origin_id),
                AttributionItem(
                    license=i.license.id,
                    kind=kind,
                    origin=origin_id,
                    text=text,
                    source=i.clause.citation.model_dump(),
                ),
            )
    return sorted(items.values(), key=lambda a: (a.license, a.kind, a.origin))
