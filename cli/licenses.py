"""`provgraph licenses | conflicts | attribution`: licenses and terms along lineage."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from provgraph.cli.common import DATE_FORMATS, JsonOption, connect, err, out, print_json
from provgraph.service import alerts
from provgraph.service.licensing import report
from provgraph.service.licensing.propagation import Policy
from provgraph.service.licensing.rules import severity_rank

__all__ = ["attribution_command", "conflicts_command", "licenses_command"]

PolicyOption = Annotated[
    Policy,
    typer.Option(
        case_sensitive=False,
        help="strict: vendor terms count as non-commercial (DPI); lenient: contract terms bind "
        "only the account holder.",
    ),
]
AsOfOption = Annotated[
    datetime | None, typer.Option("--as-of", formats=DATE_FORMATS, help="Lineage as of this date.")
]


class FailOn(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NEVER = "never"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def _path_text(path: list[dict[str, str]]) -> str:
    if not path:
        return "(declared here)"
    return path[0]["from"] + "".join(f" -{hop['type']}-> {hop['to']}" for hop in path)


def _conflict_table(conflicts: list[dict[str, Any]]) -> Table:
    table = Table(show_lines=True, title="Conflicts", title_justify="left")
    table.add_column("severity")
    table.add_column("rule")
    table.add_column("explanation and remedy", ratio=3)
    for c in conflicts:
        style = "red" if c["severity"] == "error" else "yellow"
        body = Text(c["explanation"])
        body.append("\nremedy: ", style="bold")
        body.append(c["remedy"])
        table.add_row(Text(c["severity"], style=style), Text(c["rule"]), body)
    return table


def licenses_command(
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="Artifact id.")],
    policy: PolicyOption = Policy.STRICT,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Declared license, inherited clauses (origin, path, citation), category, conflicts."""
    with connect() as store:
        answer = report.license_report(store, artifact_id, policy=policy, as_of=as_of)
    if as_json:
        print_json(answer)
        return
    flags = [
        f
        for f, on in (("attribution", answer.attribution), ("share-alike", answer.share_alike))
        if on
    ]
    head = Text(artifact_id, style="bold")
    head.append("  declared: ")
    head.append(answer.declared or "none", style="yellow")
    head.append(f"  category ({policy.value}): ")
    head.append(answer.category, style="bold")
    if flags:
        head.append(f"  ({', '.join(flags)})")
    out.print(head)
    out.print(Text("Clauses in force", style="bold underline"))
    for c in answer.clauses:
        line = Text(f"  {c.type}", style="bold")
        line.append(f"  {c.license} ({c.clause})" + ("  *strict only" if c.conservative else ""))
        line.append(f"\n      {_path_text(c.path)}", style="dim")
        out.print(line)
    for w in answer.waived:
        line = Text("  waived: ", style="green")
        line.append(
            f"{w.license} {w.clause} from {w.origin}, granted by {w.waiver.get('granted_by')} "
            f"on {w.waiver.get('date')}"
        )
        out.print(line)
    if answer.conflicts:
        out.print(_conflict_table(answer.conflicts))
    else:
        out.print("[green]no conflicts[/]")


def conflicts_command(
    artifact_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Artifact id; none: every open alert.")
    ] = None,
    severity: Annotated[
        Severity, typer.Option(help="Show findings at or above this.")
    ] = Severity.WARNING,
    fail_on: Annotated[
        FailOn,
        typer.Option(help="Exit 1 when a finding at or above this exists (CI release gates)."),
    ] = FailOn.ERROR,
    policy: PolicyOption = Policy.STRICT,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Conflict findings of an artifact (or all open alerts); exit 1 for CI release gates."""
    with connect() as store:
        if artifact_id is None:
            found = alerts.list_alerts(store, status="open", limit=10_000)
            conflicts: list[dict[str, Any]] = [a.model_dump(mode="json") for a in found]
            complete = True
        else:
            answer = report.license_report(store, artifact_id, policy=policy, as_of=as_of)
            conflicts, complete = answer.conflicts, answer.complete
    shown = [c for c in conflicts if severity_rank(c["severity"]) >= severity_rank(severity.value)]
    if as_json:
        body = {"id": artifact_id, "policy": policy.value, "conflicts": shown, "complete": complete}
        print_json(body)
    elif shown:
        out.print(_conflict_table(shown))
    else:
        out.print(f"[green]no conflicts[/] at or above {severity.value}")
    if fail_on is not FailOn.NEVER and any(
        severity_rank(c["severity"]) >= severity_rank(fail_on.value) for c in conflicts
    ):
        err.print(f"release gate: findings at or above {fail_on.value}")
        raise typer.Exit(1)


def attribution_command(
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="Artifact id.")],
    policy: PolicyOption = Policy.STRICT,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """The notices, credits and license copies a release of the artifact must carry."""
    with connect() as store:
        items = report.attribution(store, artifact_id, policy=policy, as_of=as_of)
    if as_json:
        print_json(items)
        return
    if not items:
        out.print("nothing to carry")
        return
    for item in items:
        line = Text(f"[{item.kind}] ", style="bold")
        line.append(f"{item.license} from {item.origin}")
        if item.text:
            line.append(f": {item.text}")
        out.print(line)
