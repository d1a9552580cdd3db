"""`provgraph alerts` and `provgraph webhooks`: recorded conflicts and their delivery."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from provgraph.cli.common import JsonOption, connect, err, out, print_json
from provgraph.service import alerts
from provgraph.service.errors import InvalidInput

__all__ = ["alerts_command", "webhooks_app"]

webhooks_app = typer.Typer(help="Webhooks that receive new conflict alerts.", no_args_is_help=True)

SeverityOption = Annotated[str | None, typer.Option(help="error or warning (at or above).")]


def _alert_table(found: list[alerts.Alert]) -> Table:
    table = Table(show_lines=True)
    for column in ("status", "severity", "rule", "artifact", "explanation"):
        table.add_column(column, ratio=3 if column == "explanation" else None)
    for a in found:
        style = "red" if a.severity == "error" else "yellow"
        table.add_row(
            a.status, Text(a.severity, style=style), a.rule, Text(a.node), Text(a.explanation)
        )
    return table


def alerts_command(
    status: Annotated[str | None, typer.Option(help="open or resolved.")] = "open",
    severity: SeverityOption = None,
    artifact: Annotated[str | None, typer.Option(help="Only this artifact.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    scan: Annotated[
        bool, typer.Option("--scan", help="Re-check every artifact first (e.g. after bulk loads).")
    ] = False,
    prefix: Annotated[str, typer.Option(help="With --scan: only ids starting with this.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Conflicts recorded when writes created them (newest first)."""
    if status not in {None, "open", "resolved"} or severity not in {None, "error", "warning"}:
        raise typer.BadParameter("status: open|resolved, severity: error|warning")
    with connect(schema=True) as store:
        if scan:
            result = alerts.scan_conflicts(store, prefix=prefix)
            err.print(f"scanned {result.artifacts:,} artifacts", style="dim")  # stdout: the list
        found = alerts.list_alerts(
            store,
            status=status,
            severity=severity,
            artifact=artifact,
            limit=limit,
        )
    if as_json:
        print_json(found)
    elif found:
        out.print(_alert_table(found))
    else:
        out.print("no alerts")


@webhooks_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="http(s) URL that receives signed JSON POSTs.")],
    secret_env: Annotated[
        str, typer.Option(help="Environment variable holding the signing secret (never a flag).")
    ],
    min_severity: Annotated[str, typer.Option(help="error or warning.")] = "warning",
    events: Annotated[
        list[str] | None,
        typer.Option("--event", help="conflict.opened (default) and/or risk.opened; repeatable."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a webhook; the secret is read from an environment variable, never printed."""
    secret = os.environ.get(secret_env)
    if not secret:
        raise InvalidInput(f"environment variable {secret_env} is not set or empty")
    with connect(schema=True) as store:
        hook = alerts.register_webhook(
            store,
            url,
            secret,
            min_severity=min_severity,  # type: ignore[arg-type]
            events=events,  # type: ignore[arg-type]
        )
    if as_json:
        print_json(hook)
    else:
        out.print(
            f"webhook {hook.id} registered for {hook.url} ({hook.min_severity} and above)",
            markup=False,
        )


@webhooks_app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Registered webhooks (secrets are never shown)."""
    with connect() as store:
        hooks = alerts.list_webhooks(store)
    if as_json:
        print_json(hooks)
        return
    for hook in hooks:
        out.print(
            f"{hook.id}  {hook.url}  {hook.min_severity}+  since {hook.created_at:%Y-%m-%d}",
            markup=False,
        )
    if not hooks:
        out.print("no webhooks")


@webhooks_app.command("remove")
def remove(webhook_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove a webhook and its delivery log."""
    with connect() as store:
        alerts.delete_webhook(store, webhook_id)
    out.print(f"removed {webhook_id}", markup=False)


@webhooks_app.command("deliveries")
def deliveries(
    webhook_id: Annotated[str | None, typer.Argument(metavar="[ID]")] = None,
    status: Annotated[str | None, typer.Option(help="pending, delivered or failed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The delivery log: every attempt with its status code or error."""
    with connect() as store:
        found = alerts.list_deliveries(store, webhook_id, status=status)  # type: ignore[arg-type]
    if as_json:
        print_json(found)
        return
    for d in found:
        out.print(f"{d.id}  {d.status}  attempts={d.attempts}  {d.rule} at {d.node}", markup=False)
    if not found:
        out.print("no deliveries")


@webhooks_app.command("deliver")
def deliver(
    wait: Annotated[float, typer.Option(help="Seconds to keep retrying failed deliveries.")] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Send pending deliveries now (a running `provgraph serve` also does this)."""
    with connect() as store:
        run = alerts.deliver_pending(store, max_wait=wait)
    if as_json:
        print_json(run)
    else:
        out.print(f"delivered {run.delivered}, failed {run.failed}, still pending {run.pending}")
