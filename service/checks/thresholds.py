"""Thresholds: which figures of a check are findings (and, once recorded, alerts)."""

from __future__ import annotations

from provgraph.service.checks.models import CheckFinding, CheckReport, Thresholds

__all__ = ["RULES", "evaluate_thresholds"]

RULES = {
    "check-benchmark-contamination": "records share an n-gram with a reference (e.g. a "
    "benchmark's test split): decontaminate before training or evaluating on it",
    "check-reference-exact-duplicates": "records are copies of reference records",
    "check-reference-near-duplicates": "records are near copies of reference records",
    "check-internal-duplicates": "the dataset repeats itself: deduplicate it",
    "check-format-errors": "records are unparseable, empty, truncated, damaged or off-schema",
    "check-model-boilerplate": "records carry model-output boilerplate or a vendor's "
    "self-identification: outputs of another model, whose terms may bind this data",
    "check-distribution-drift": "the length or vocabulary distribution departs from the "
    "reference's",
}


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def evaluate_thresholds(report: CheckReport, thresholds: Thresholds) -> list[CheckFinding]:
    """One finding per exceeded threshold (per reference where the figure is per reference),
    errors first."""
    records = report.records or 1
    findings: list[CheckFinding] = []

    def add(
        rule: str, severity: str, reference: str | None, rate: float, limit: float, what: str
    ) -> None:
        if rate > limit:
            findings.append(
                CheckFinding(
                    rule=rule,
                    severity=severity,  # type: ignore[arg-type]
                    reference=reference,
                    rate=round(rate, 6),
                    threshold=limit,
                    explanation=f"{_pct(rate)} of {report.dataset} {what} (threshold "
                    f"{_pct(limit)}): {RULES[rule]}",
                )
            )

    for ref in report.references:
        add(
            "check-benchmark-contamination",
            "error",
            ref,
            report.ngram_overlap.by_reference.get(ref, 0) / records,
            thresholds.ngram_overlap,
            f"shares a {report.ngram_overlap.n}-gram with {ref}",
        )
        add(
            "check-reference-exact-duplicates",
            "warning",
            ref,
            report.exact_duplicates.by_reference.get(ref, 0) / records,
            thresholds.exact_duplicates_reference,
            f"is an exact copy of a record of {ref}",
        )
        add(
            "check-reference-near-duplicates",
            "warning",
            ref,
            report.near_duplicates.by_reference.get(ref, 0) / records,
            thresholds.near_duplicates_reference,
            f"is a near copy of a record of {ref}",
        )
    within = report.exact_duplicates.within + report.near_duplicates.within
    add(
        "check-internal-duplicates",
        "warning",
        None,
        within / records,
        thresholds.duplicates_within,
        "duplicates an earlier record of itself",
    )
    add(
        "check-format-errors",
        "warning",
        None,
        report.format_errors.rate,
        thresholds.format_errors,
        "has a format error",
    )
    vendors = ", ".join(report.boilerplate.self_identification) or "none"
    add(
        "check-model-boilerplate",
        "warning",
        None,
        report.boilerplate.rate,
        thresholds.boilerplate,
        f"has model boilerplate (self-identified vendors: {vendors})",
    )
    for divergence in report.divergence:
        add(
            "check-distribution-drift",
            "warning",
            divergence.reference,
            max(divergence.length, divergence.vocabulary),
            thresholds.divergence,
            f"diverges from {divergence.reference} (Jensen-Shannon, length or vocabulary;"
            " shown as a percentage)",
        )
    return sorted(findings, key=lambda f: (f.severity != "error", f.rule, f.reference or ""))
