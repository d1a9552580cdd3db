"""Conflict rules (licenses.md §4.4) over the effective clauses of one artifact.

Each finding names its rule, severity, the artifact, the origin (artifact, license, clause),
one witness path, the citation of the clause it rests on, a one-sentence explanation and a
remedy. Rules read only facts stored on artifacts (``intended_use``, ``distribution``,
``model_type``, ``family``, ``competes_with``, ``notices``, ``org_mau``, ``org_domicile``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from provgraph.service.licensing.kb import ClauseType, LicenseEntry
from provgraph.service.licensing.propagation import (
    Hop,
    Instance,
    NodeFacts,
    NodeLicenses,
    Policy,
    UnknownTerms,
)
from provgraph.service.models import EdgeKind

__all__ = ["TAINT_RULES", "Finding", "Severity", "evaluate", "inherited", "severity_rank"]

Severity = Literal["error", "warning"]
_RANK = {"warning": 1, "error": 2}
SHARED = {"public", "hosted-service"}
RESTRICTIVE_FOR_SA = {
    ClauseType.NON_COMMERCIAL,
    ClauseType.RESEARCH_ONLY,
    ClauseType.USE_RESTRICTIONS,
    ClauseType.PASS_ON_USE_RESTRICTIONS,
    ClauseType.NO_DERIVATIVES_SHARED,
    ClauseType.NO_IMPROVE_OTHER_LLM,
}
NOTICE_TYPES = {
    ClauseType.NOTICE_FILE,
    ClauseType.BRANDING_DISPLAY,
    ClauseType.INCLUDE_LICENSE_COPY,
    ClauseType.ATTRIBUTION,
    ClauseType.PRODUCED_WORK_NOTICE,
}


# Why unknown terms count as restrictive: the practice of the Data Provenance Initiative.
UNKNOWN_TERMS_CITATION = {
    "url": "https://arxiv.org/abs/2310.16787",
    "section": "Data Provenance Initiative license categories (constants/license_classes.json)",
    "quote": "(paraphrase) a license that cannot be classified ('?') counts as academic-only",
}
# Violations a derivative inherits from the model it is fine-tuned from (licenses.md §4.4).
TAINT_RULES = {"no-improve-other-llm", "no-competing-models", "commercial-use-vs-noncommercial"}


def severity_rank(severity: str) -> int:
    return _RANK.get(severity, 0)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    node: str
    origin: dict[str, str | None]
    path: tuple[Hop, ...]
    explanation: str
    remedy: str
    citation: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "node": self.node,
            "origin": self.origin,
            "path": [hop.as_dict() for hop in self.path],
            "explanation": self.explanation,
            "remedy": self.remedy,
            "citation": self.citation,
        }


def _route(path: tuple[Hop, ...]) -> str:
    """The path as lineage reads: from the artifact up to the origin, edge by edge."""
    if not path:
        return "declared on the artifact itself"
    steps = "".join(f" -{hop.kind.value}-> {hop.parent}" for hop in path)
    return f"path {path[0].child}{steps}"


def _others(origins: int) -> str:
    """The origins besides the witness, as the explanation counts them."""
    others = origins - 1
    return f" (and {others} other ancestor{'s' if others > 1 else ''} likewise)" if others else ""


def _finding(
    rule: str, severity: Severity, node: str, instance: Instance, explanation: str, remedy: str
) -> Finding:
    clause = instance.clause
    quote = f" ('{clause.citation.quote}')" if clause.citation.quote else ""
    return Finding(
        rule=rule,
        severity=severity,
        node=node,
        origin={"node": instance.origin, "license": instance.license.id, "clause": clause.id},
        path=instance.path,
        explanation=(
            f"{explanation}: {clause.type.value} of {instance.license.id}{quote} from "
            f"{instance.origin}{_others(instance.origins)}, {_route(instance.path)}."
        ),
        remedy=remedy,
        citation=clause.citation.model_dump(),
    )


@dataclass
class _Context:
    facts: NodeFacts
    here: NodeLicenses
    policy: Policy
    families: set[str]

    @property
    def is_model(self) -> bool:
        return self.facts.kind == "model"

    def effective(self, *types: ClauseType) -> list[Instance]:
        return [i for i in self.here.in_force(is_model=self.is_model) if i.clause.type in types]

    def inherited(self, *types: ClauseType) -> list[Instance]:
        return [i for i in self.effective(*types) if i.path]

    @property
    def declared(self) -> list[LicenseEntry]:
        return list(self.here.declared.entries) if self.here.declared else []

    def declares(self, *types: ClauseType) -> bool:
        return any(c.type in types for e in self.declared for c in e.clauses)

    def fact(self, key: str) -> Any:
        return self.facts.get(key)


def _commercial_vs_nc(ctx: _Context) -> Iterable[Finding]:
    if ctx.fact("intended_use") != "commercial":
        return
    for i in ctx.effective(ClauseType.NON_COMMERCIAL, ClauseType.RESEARCH_ONLY):
        yield _finding(
            "commercial-use-vs-noncommercial",
            "error",
            ctx.facts.id,
            i,
            "Intended for commercial use, but bound by a non-commercial or research-only term",
            "Remove or replace the restricted upstream data or model, obtain a commercial "
            "license (and record it as a waiver), or change the intended use.",
        )


def _too_permissive(ctx: _Context) -> Iterable[Finding]:
    if not ctx.declared:
        return
    declared_ids = {e.id for e in ctx.declared}
    if not ctx.declares(ClauseType.NON_COMMERCIAL, ClauseType.RESEARCH_ONLY):
        for i in ctx.inherited(ClauseType.NON_COMMERCIAL, ClauseType.RESEARCH_ONLY):
            yield _finding(
                "declared-license-too-permissive",
                "error",
                ctx.facts.id,
                i,
                f"Declared {', '.join(sorted(declared_ids))} allows commercial use, but the "
                "artifact inherits a non-commercial term",
                "Declare a license that carries the restriction (e.g. CC-BY-NC-4.0) or remove "
                "the restricted ancestor.",
            )
    for i in ctx.inherited(ClauseType.SHARE_ALIKE):
        allowed = set(i.clause.params.get("targets", [])) | set(
            i.clause.params.get("compatible_targets", [])
        )
        if i.license.id in declared_ids or declared_ids & allowed:
            continue
        yield _finding(
            "declared-license-too-permissive",
            "warning" if i.conservative else "error",
            ctx.facts.id,
            i,
            f"Share-alike requires the artifact to be licensed under {', '.join(sorted(allowed))}",
            f"Declare one of {', '.join(sorted(allowed))}, or stop sharing the adaptation.",
        )
    if not ctx.declares(ClauseType.USE_RESTRICTIONS, ClauseType.PASS_ON_USE_RESTRICTIONS):
        for i in ctx.inherited(ClauseType.PASS_ON_USE_RESTRICTIONS):
            yield _finding(
                "declared-license-too-permissive",
                "error",
                ctx.facts.id,
                i,
                "The use restrictions must be passed on as an enforceable provision, but the "
                "declared license has none",
                "Release under a license that includes the upstream use restrictions "
                f"({i.clause.params.get('policy_ref', 'see the citation')}).",
            )
    if ctx.policy is Policy.STRICT and not ctx.declares(
        ClauseType.NON_COMMERCIAL, ClauseType.RESEARCH_ONLY
    ):
        seen: set[str] = set()
        for i in ctx.inherited(*ClauseType):
            if i.license.is_contract and i.license.dpi.use == "NC" and i.license.id not in seen:
                seen.add(i.license.id)
                yield _finding(
                    "declared-license-too-permissive",
                    "warning",
                    ctx.facts.id,
                    i,
                    f"Vendor terms count as non-commercial under the strict policy (as the Data "
                    f"Provenance Initiative counts them), but {', '.join(sorted(declared_ids))} "
                    "reads as commercial",
                    "Label the data with the generator's terms, or check them under the "
                    "lenient policy.",
                )


def _share_alike_pairs(ctx: _Context) -> Iterable[Finding]:
    """Pairs of terms that cannot meet in one shared artifact: one finding per pair of
    licenses (clauses), witnessed by the nearest origins, not one per pair of origins."""
    shared = ctx.fact("distribution")
    if shared in {"none", "internal"}:
        return
    severity: Severity = "error" if shared in SHARED else "warning"
    # Declared here before inherited, then nearest: each pair is witnessed by the first.
    share_alikes = sorted(
        ctx.effective(ClauseType.SHARE_ALIKE), key=lambda i: (bool(i.path), len(i.path))
    )
    reported: set[tuple[str, str, str]] = set()
    for n, a in enumerate(share_alikes):
        targets_a = set(a.clause.params.get("targets", [])) | set(
            a.clause.params.get("compatible_targets", [])
        )
        for b in share_alikes[n + 1 :]:
            pair = (a.license.id, b.license.id, b.clause.id)
            if a.license.id == b.license.id or pair in reported:
                continue
            targets_b = set(b.clause.params.get("targets", [])) | set(
                b.clause.params.get("compatible_targets", [])
            )
            if targets_a & targets_b:
                continue
            reported.add(pair)
            yield _finding(
                "sharealike-vs-sharealike",
                severity,
                ctx.facts.id,
                b,
                f"Two share-alike licenses with no common outbound license meet here "
                f"({a.license.id} from {a.origin}{_others(a.origins)})",
                "Keep the two sources in separate artifacts, or drop one of them.",
            )
    # Unconditional share-alike first: it decides the severity of the pair.
    forbidding = sorted(
        (sa for sa in share_alikes if sa.clause.params.get("forbids_additional_terms")),
        key=lambda i: (i.conservative, bool(i.path), len(i.path)),
    )
    seen: set[tuple[str, str, str, bool]] = set()
    for other in ctx.effective(*RESTRICTIVE_FOR_SA):
        for sa in forbidding:
            if other.license.id == sa.license.id:
                continue
            key = (sa.license.id, other.license.id, other.clause.id, not other.path)
            if key in seen:
                continue
            seen.add(key)
            yield _finding(
                "sharealike-vs-additional-terms",
                "warning" if sa.conservative or severity == "warning" else "error",
                ctx.facts.id,
                other,
                f"{sa.license.id} (from {sa.origin}{_others(sa.origins)}) forbids additional "
                "terms on adaptations, but this term is added",
                "Do not combine share-alike material with restricted material in one shared "
                "artifact.",
            )


def _no_derivatives(ctx: _Context) -> Iterable[Finding]:
    if ctx.fact("distribution") not in SHARED:
        return
    for i in ctx.inherited(ClauseType.NO_DERIVATIVES_SHARED):
        through_training = any(h.kind is EdgeKind.TRAINED_ON for h in i.path)
        yield _finding(
            "no-derivatives-shared",
            "warning" if through_training else "error",
            ctx.facts.id,
            i,
            "A no-derivatives license forbids sharing adaptations, and this artifact is shared",
            "Do not distribute the adaptation, or ship the original material unmodified.",
        )


def _no_competing(ctx: _Context) -> Iterable[Finding]:
    if not ctx.is_model:
        return
    competes = set(ctx.fact("competes_with") or [])
    distribution = ctx.fact("distribution")
    model_type = ctx.fact("model_type")
    for i in ctx.effective(ClauseType.NO_COMPETING_MODELS):
        beneficiary = str(i.clause.params.get("beneficiary", "the provider"))
        exception = (
            "non-distributed-classifier-or-embedding" in i.clause.params.get("exceptions", [])
            and model_type in {"classifier", "embedding"}
            and distribution in {None, "none", "internal"}
        )
        if exception:
            continue
        if beneficiary in competes or (model_type == "llm" and distribution in SHARED):
            lenient = ctx.policy is Policy.LENIENT and i.license.is_contract
            yield _finding(
                "no-competing-models",
                "warning" if lenient else "error",
                ctx.facts.id,
                i,
                f"A model built on {beneficiary} outputs is released as a competing model",
                f"Remove the {beneficiary}-generated data, obtain permission from {beneficiary} "
                "(record it as a waiver), or keep the model internal.",
            )


def _no_improve(ctx: _Context) -> Iterable[Finding]:
    if ctx.fact("model_type") != "llm":
        return
    for i in ctx.effective(ClauseType.NO_IMPROVE_OTHER_LLM):
        exempt = str(i.clause.params.get("exempt_family", ""))
        families = ", ".join(sorted(ctx.families)) or "unknown"
        derivative = all(h.kind is EdgeKind.FINE_TUNED_FROM for h in i.path)
        if exempt in ctx.families or derivative:
            continue
        yield _finding(
            "no-improve-other-llm",
            "error",
            ctx.facts.id,
            i,
            f"Outputs or materials of {exempt or 'the licensor'} models may not improve an LLM "
            f"outside that family (this model's families: {families})",
            "Remove the data generated by that model, or build on the licensor's own family.",
        )


def _name_prefix(ctx: _Context) -> Iterable[Finding]:
    if not ctx.is_model or ctx.fact("distribution") in {None, "none"}:
        return
    name = str(ctx.fact("name") or ctx.facts.id)
    for i in ctx.inherited(ClauseType.MODEL_NAME_PREFIX):
        prefix = str(i.clause.params.get("prefix", ""))
        if name.startswith(prefix):
            continue
        yield _finding(
            "model-name-prefix",
            "warning",
            ctx.facts.id,
            i,
            f"Obligation possibly unmet: a released model built with these materials must be "
            f"named starting with {prefix!r} (name: {name!r})",
            f"Rename the model to begin with {prefix!r}, or confirm the clause does not apply.",
        )


def _notices(ctx: _Context) -> Iterable[Finding]:
    if ctx.fact("distribution") in {None, "none"}:
        return
    carried = set(ctx.fact("notices") or [])
    seen: set[tuple[str, str]] = set()
    for i in ctx.inherited(*NOTICE_TYPES):
        if i.license.id in carried or (i.license.id, i.clause.id) in seen:
            continue
        seen.add((i.license.id, i.clause.id))
        yield _finding(
            "missing-notices",
            "warning",
            ctx.facts.id,
            i,
            "A distributed artifact must carry this notice or credit",
            f"Include it (see `provgraph attribution {ctx.facts.id}`) and list {i.license.id} "
            "in the artifact's `notices`.",
        )


def _user_threshold(ctx: _Context) -> Iterable[Finding]:
    mau = ctx.fact("org_mau")
    if mau is None:
        return
    for i in ctx.effective(ClauseType.USER_THRESHOLD):
        threshold = int(i.clause.params.get("threshold", 0))
        if i.clause.params.get("only_if_commercial") and ctx.fact("intended_use") != "commercial":
            continue
        if int(mau) > threshold:
            yield _finding(
                "user-threshold",
                "error",
                ctx.facts.id,
                i,
                f"The organisation has {int(mau):,} monthly active users, above the "
                f"{threshold:,} the license allows without a separate license",
                "Request a license from the licensor.",
            )


def _jurisdiction(ctx: _Context) -> Iterable[Finding]:
    domicile = ctx.fact("org_domicile")
    if not domicile:
        return
    for i in ctx.effective(ClauseType.JURISDICTION_EXCLUSION):
        regions = set(i.clause.params.get("region", []))
        modalities = set(i.clause.params.get("modality", []))
        modality = ctx.fact("modality") or (
            "multimodal" if ctx.fact("model_type") == "text-to-image" else None
        )
        if domicile in regions and (not modalities or modality in modalities):
            yield _finding(
                "jurisdiction",
                "error",
                ctx.facts.id,
                i,
                f"The license does not grant these rights to organisations domiciled in {domicile}",
                "Use another model, or obtain rights for that jurisdiction.",
            )


def _copyleft(ctx: _Context) -> Iterable[Finding]:
    if ctx.fact("distribution") in {None, "none"}:
        return
    proprietary = any(
        e.kind == "proprietary" or e.id.startswith("LicenseRef-proprietary") for e in ctx.declared
    )
    if not proprietary:
        return
    for i in ctx.inherited(ClauseType.DISCLOSE_SOURCE):
        yield _finding(
            "copyleft-vs-proprietary",
            "error",
            ctx.facts.id,
            i,
            "Copyleft material is distributed under a proprietary license",
            "Release under the copyleft license, or remove the copyleft component.",
        )


def _unknown_terms(ctx: _Context) -> Iterable[Finding]:
    # One finding per unknown license id (and one for "nothing declared"), witnessed by the
    # nearest origin: one per ancestor would grow with the closure (quadratic alerts on a
    # large unlicensed graph). The report's `unknown` has the same groups, with counts.
    by_license: dict[str | None, list[UnknownTerms]] = {}
    for unknown in ctx.here.unknown:
        if not unknown.path and unknown.license is None:
            continue  # the artifact's own missing license is its category, not a finding
        by_license.setdefault(unknown.license, []).append(unknown)
    for group in by_license.values():
        unknown = min(group, key=lambda u: (len(u.path), u.origin))
        what = f"unknown license {unknown.license!r}" if unknown.license else "no declared license"
        also = _others(sum(u.origins for u in group))
        yield Finding(
            rule="unknown-terms",
            severity="warning",
            node=ctx.facts.id,
            origin={"node": unknown.origin, "license": unknown.license, "clause": None},
            path=unknown.path,
            explanation=(
                f"Terms unknown: {unknown.origin} has {what}, {_route(unknown.path)}{also}; "
                "it is treated as restrictive, never as permissive."
            ),
            remedy=f"Find and record the license of {unknown.origin} (or add it to the KB).",
            citation=UNKNOWN_TERMS_CITATION,
        )


RULES = (
    _commercial_vs_nc,
    _too_permissive,
    _share_alike_pairs,
    _no_derivatives,
    _no_competing,
    _no_improve,
    _name_prefix,
    _notices,
    _user_threshold,
    _jurisdiction,
    _copyleft,
    _unknown_terms,
)


def inherited(finding: Finding, hops_to_ancestor: tuple[Hop, ...], node: str) -> Finding:
    """An ancestor's violation, reported again on a model fine-tuned from it (as taint)."""
    return Finding(
        rule=finding.rule,
        severity=finding.severity,
        node=node,
        origin=finding.origin,
        path=hops_to_ancestor + finding.path,
        explanation=f"Inherited from {finding.node}, which it is fine-tuned from: "
        f"{finding.explanation}",
        remedy=f"Fix the violation at {finding.node}, or build on another base model.",
        citation=finding.citation,
    )


def evaluate(
    facts: NodeFacts, here: NodeLicenses, policy: Policy, families: set[str]
) -> list[Finding]:
    """Every finding of every rule at one artifact, errors first."""
    ctx = _Context(facts, here, policy, families)
    found = [finding for rule in RULES for finding in rule(ctx)]
    return sorted(
        found, key=lambda f: (-severity_rank(f.severity), f.rule, f.origin.get("node") or "")
    )
