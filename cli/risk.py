"""`provgraph risk` and `provgraph records`: synthetic-data risk and record-level provenance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from provgraph.cli.common import DATE_FORMATS, JsonOption, connect, err, out, print_json
from provgraph.service.manifests import records_from
from provgraph.service.risk import RiskReport, RiskThresholds, risk_report
from provgraph.service.risk_alerts import list_risk_alerts, scan_risk_alerts
from provgraph.service.settings import Settings

__all__ = ["records_command", "risk_alerts_command", "risk_command"]


def _figure(value: float | tuple[float, float]) -> str:
    if isinstance(value, tuple):
        return f"between {value[0]:.2%} and {value[1]:.2%} (record counts missing)"
    return f"{value:.2%}"


def _render(report: RiskReport) -> None:
    out.print(f"[bold]{report.id}[/]", highlight=False, markup=False)
    out.print(f"  synthetic generations  {report.synthetic_generations}", highlight=False)
    out.print(f"  human fraction         {_figure(report.human_fraction)}", highlight=False)
    out.print(f"  vendors upstream       {', '.join(report.vendors) or '-'}", highlight=False)
    for item in report.self_consumption:
        out.print(
            f"  self-consumption       {item.model} ({item.family})"
            f" <- {', '.join(item.generators)}"
            + (f"  [{item.models} models in all]" if item.models > 1 else ""),
            highlight=False,
            markup=False,
        )
    for c in report.cross_vendor:
        out.print(
            f"  cross-vendor           {c.model} ({c.vendor})"
            f" <- {c.generator} ({c.generator_vendor})"
            + (
                f"  [{c.models} {c.vendor} models, {c.generators} {c.generator_vendor} generators]"
                if c.models > 1 or c.generators > 1
                else ""
            ),
            highlight=False,
            markup=False,
        )
    if not report.findings:
        out.print("[green]no findings[/]")
        return
    table = Table(show_lines=True, title="Findings", title_justify="left")
    table.add_column("severity")
    table.add_column("rule")
    table.add_column("explanation and remedy", ratio=3)
    for f in report.findings:
        body = Text(f.explanation)
        body.append("\nremedy: ", style="bold")
        body.append(f.remedy)
        style = "red" if f.severity == "error" else "yellow"
        table.add_row(Text(f.severity, style=style), Text(f.rule), body)
    out.print(table)


def risk_command(
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="Artifact id.")],
    min_human: Annotated[
        float | None,
        typer.Option(
            "--min-human", min=0.0, max=1.0, help="Flag below this share of human data (0.10)."
        ),
    ] = None,
    max_generations: Annotated[
        int | None,
        typer.Option("--max-generations", min=0, help="Flag beyond this many generations (2)."),
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", formats=DATE_FORMATS, help="Lineage as of.")
    ] = None,
    fail_on_findings: Annotated[
        bool, typer.Option("--fail-on-findings", help="Exit 1 when there are error findings.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Synthetic generations, human fraction, self-consumption, vendors, contamination."""
    defaults = RiskThresholds.from_settings(Settings.from_env())
    thresholds = RiskThresholds(
        defaults.min_human_fraction if min_human is None else min_human,
        defaults.max_generations if max_generations is None else max_generations,
    )
    with connect() as store:
        report = risk_report(store, artifact_id, thresholds=thresholds, as_of=as_of)
    if as_json:
        print_json(report)
    else:
        _render(report)
    if fail_on_findings and any(f.severity == "error" for f in report.findings):
        raise typer.Exit(1)


def records_command(
    dataset_id: Annotated[str, typer.Argument(metavar="DATASET", help="Dataset id.")],
    generator: Annotated[str, typer.Option("--generator", help="Generator model id.")],
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Records to list.")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Which records of a dataset came from one generator model (from its run manifests)."""
    with connect() as store:
        found = records_from(store, dataset_id, generator, limit=limit)
    if as_json:
        print_json(found)
        return
    for record in found.records:
        out.print(
            f"{record.record_index}\t{record.record_hash}\t{record.prompt_template or '-'}",
            highlight=False,
            markup=False,
        )
    more = "" if found.complete else f" (first {len(found.records)} listed)"
    out.print(
        f"[dim]{found.total:,} records of {dataset_id} from {generator}{more}[/]", highlight=False
    )


def risk_alerts_command(
    status: Annotated[str | None, typer.Option(help="open or resolved.")] = None,
    artifact: Annotated[str | None, typer.Option(help="Only this artifact's alerts.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    scan: Annotated[
        bool,
        typer.Option("--scan", help="Re-assess every artifact first (e.g. after bulk loads)."),
    ] = False,
    prefix: Annotated[str, typer.Option(help="With --scan: only ids starting with this.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Synthetic-data risk alerts that writes raised (newest first)."""
    with connect(schema=True) as store:
        if scan:
            result = scan_risk_alerts(store, prefix=prefix)  # thresholds of the environment
            err.print(  # stdout carries the list (the JSON with --json)
                f"scanned {result.artifacts:,} artifacts: {result.opened:,} opened, "
                f"{result.resolved:,} resolved",
                style="dim",
            )
        found = list_risk_alerts(store, status=status, artifact=artifact, limit=limit)
    if as_json:
        print_json(found)
        return
    for alert in found:
        out.print(
            f"{alert.opened_at:%Y-%m-%d %H:%M}  {alert.status:<8}  {alert.severity:<7}  "
            f"{alert.rule}  {alert.node}: {alert.explanation}",
            highlight=False,
            markup=False,
        )
    if not found:
        out.print("no risk alerts")
