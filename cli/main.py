"""The ``provgraph`` command: a thin Typer layer over the same domain functions as the API.

Exit codes: 0 success, 1 bad input (invalid records, unknown ids, cycles), 2 usage errors,
3 database unreachable. ``--json`` prints the same pydantic models the API returns.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

from provgraph.cli import alerts, checks, db, demo, imports, licenses, risk, security
from provgraph.cli.common import (
    DATE_FORMATS,
    JsonOption,
    connect,
    err,
    out,
    phase_progress,
    print_json,
)
from provgraph.cli.render import artifact_table, lineage_dot, lineage_tree, stats_table
from provgraph.service import artifacts, lineage
from provgraph.service.errors import InvalidInput, ProvgraphError
from provgraph.service.ingest import ingest_lines
from provgraph.service.models import Direction, EdgeKind, IngestReport
from provgraph.service.settings import Settings

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="provgraph",
    help="Provenance graph for AI datasets and models: lineage, licenses and synthetic-data risk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db", help="Manage the local Neo4j server provgraph runs for you.")
app.add_typer(imports.app, name="import", help="Import catalogs from other sources.")
app.command(name="demo")(demo.demo)
app.command(name="licenses")(licenses.licenses_command)
app.command(name="conflicts")(licenses.conflicts_command)
app.command(name="attribution")(licenses.attribution_command)
app.command(name="alerts")(alerts.alerts_command)
app.add_typer(alerts.webhooks_app, name="webhooks")
app.command(name="risk")(risk.risk_command)
app.command(name="records")(risk.records_command)
app.command(name="risk-alerts")(risk.risk_alerts_command)
app.command(name="check")(checks.check_command)
app.command(name="checks")(checks.checks_command)
app.add_typer(security.token_app, name="token")
app.command(name="audit")(security.audit_command)


class LineageFormat(StrEnum):
    TREE = "tree"
    JSON = "json"
    DOT = "dot"


def _lines(path: str) -> Iterator[bytes]:
    if path == "-":
        yield from sys.stdin.buffer
        return
    try:
        with open(path, "rb") as handle:
            yield from handle
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from exc


@app.command()
def ingest(
    file: Annotated[str, typer.Argument(help="NDJSON file of nodes and edges, or - for stdin.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Load the valid lines and report the rest.")
    ] = False,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="Initial load into the EMPTY database of the managed local server with "
            "neo4j-admin import (much faster; Neo4j is stopped meanwhile). Refused for a "
            "non-empty database or NEO4J_URI.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Load an NDJSON file: all-or-nothing unless --skip-invalid; re-loading changes nothing."""
    if file != "-" and not Path(file).is_file():
        raise InvalidInput(f"no such file: {file}")
    source = "stdin" if file == "-" else file
    if bulk:
        if skip_invalid:
            raise typer.BadParameter("--bulk is all-or-nothing: it cannot --skip-invalid")
        if file == "-":
            raise typer.BadParameter("--bulk reads a file, not stdin")
        from provgraph.service.bulk_ingest import bulk_ingest

        with _progress(enabled=not as_json) as report:
            result = bulk_ingest(
                Settings.from_env(),
                Path(file),
                source=source,
                progress=report,
                say=lambda message: err.print(f"[dim]{escape(message)}[/]"),
            )
    else:
        with connect(schema=True) as store, _progress(enabled=not as_json) as report:
            result = ingest_lines(
                store, _lines(file), source=source, skip_invalid=skip_invalid, progress=report
            )
    if as_json:
        print_json(result)
        return
    out.print(
        f"[green]loaded[/] {escape(source)}: {result.nodes:,} artifacts and {result.edges:,} "
        f"lineage edges from {result.lines:,} lines (graph changes: {result.nodes_created:,} "
        f"nodes and {result.relationships_created:,} relationships created, license links "
        "included)"
    )
    for skipped in result.skipped:
        reason = escape(str(skipped["reason"]))
        err.print(f"[yellow]skipped[/] line {skipped['line']}: {reason}", highlight=False)
    _report_alerts(result)


def _report_alerts(result: IngestReport) -> None:
    """After a write: new conflict alerts, and their delivery to webhooks right away."""
    summary = result.alerts
    if summary is None:
        return
    if not summary.evaluated:
        err.print(f"[yellow]conflicts not re-checked[/]: {escape(summary.detail or '')}")
    if summary.opened:
        err.print(f"[red]{summary.opened} new conflict alert(s)[/]: see provgraph alerts")
    if summary.risk_evaluated is False:
        err.print(f"[yellow]risk not re-assessed[/]: {escape(summary.risk_detail or '')}")
    if summary.risk_opened:
        err.print(f"[red]{summary.risk_opened} new risk alert(s)[/]: see provgraph risk-alerts")
    if summary.deliveries_queued:
        from provgraph.service.alerts import deliver_pending

        with connect() as store:
            run = deliver_pending(store, max_wait=0)
        err.print(f"webhooks: {run.delivered} delivered, {run.pending} pending (retried later)")


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Any]:
    """A progress bar on stderr for the parse, check and write phases of an ingest."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description:<8}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
    )
    with phase_progress(columns) as report:
        yield report


@app.command()
def show(
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="Artifact id.")],
    as_json: JsonOption = False,
) -> None:
    """Show one artifact: kind, properties and declared licenses."""
    with connect() as store:
        artifact = artifacts.get_artifact(store, artifact_id)
        recent = [] if as_json else checks.latest_checks(store, artifact_id)
    if as_json:
        print_json(artifact)
    else:
        out.print(artifact_table(artifact))
        if recent:
            out.print(checks.summary_table(recent))


@app.command(name="lineage")
def lineage_command(
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="Artifact id.")],
    direction: Annotated[
        Direction, typer.Option(help="upstream: where it came from; downstream: what it affects.")
    ] = Direction.UPSTREAM,
    max_depth: Annotated[
        int | None, typer.Option(min=1, help=f"Hops to follow (capped at {lineage.MAX_DEPTH}).")
    ] = None,
    edge_kinds: Annotated[
        list[EdgeKind] | None,
        typer.Option(
            "--edge-kind", case_sensitive=False, help="Follow only these types (repeatable)."
        ),
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option(formats=DATE_FORMATS, help="Only edges valid at this date.")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, help=f"Nodes per page (capped at {lineage.MAX_LIMIT}).")
    ] = lineage.DEFAULT_LIMIT,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
    output: Annotated[
        LineageFormat, typer.Option("--format", help="tree, json or dot.")
    ] = LineageFormat.TREE,
    as_json: JsonOption = False,
) -> None:
    """Ancestry (upstream) or impact (downstream) of an artifact."""
    with connect() as store:
        answer = lineage.lineage(
            store,
            artifact_id,
            direction=direction,
            max_depth=max_depth,
            edge_kinds=edge_kinds,
            as_of=as_of,
            limit=limit,
            cursor=cursor,
        )
        root = (
            artifacts.get_artifact(store, artifact_id) if output is not LineageFormat.JSON else None
        )
        notes = (
            checks.check_notes(store, [artifact_id, *(n.id for n in answer.nodes)])
            if output is LineageFormat.TREE and not as_json
            else {}
        )
    if as_json or output is LineageFormat.JSON:
        print_json(answer)
        return
    if output is LineageFormat.DOT:
        sys.stdout.write(lineage_dot(answer, root) + "\n")
    else:
        out.print(lineage_tree(answer, root, notes))
        out.print(f"[dim]{answer.total:,} {direction.value} artifacts[/]")
    if not answer.complete:
        hint = "--cursor " + answer.next_cursor if answer.next_cursor else "a larger --max-depth"
        err.print(f"[yellow]incomplete[/] ({answer.truncated_reason}): continue with {hint}")


@app.command()
def path(
    source: Annotated[str, typer.Argument(metavar="FROM", help="The newer artifact.")],
    target: Annotated[str, typer.Argument(metavar="TO", help="An ancestor of FROM.")],
    as_json: JsonOption = False,
) -> None:
    """One shortest lineage path from an artifact up to one of its ancestors."""
    with connect() as store:
        found = lineage.witness_path(store, source, target)
    if as_json:
        print_json(found)
        return
    if not found.found:
        err.print(f"{target} is not upstream of {source}", markup=False)
        raise typer.Exit(1)
    steps = [found.nodes[0]] + [f"-[{e.type.value}]-> {e.to}" for e in found.edges]
    out.print(" ".join(steps), highlight=False, markup=False)


@app.command()
def stats(as_json: JsonOption = False) -> None:
    """Node counts per label and relationship counts per type."""
    with connect() as store:
        counts = artifacts.stats(store)
    if as_json:
        print_json(counts)
    else:
        out.print(stats_table(counts))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    auth: Annotated[
        bool | None,
        typer.Option(
            "--auth/--no-auth",
            help="Require API tokens. Default (PROVGRAPH_AUTH=auto): on beyond loopback, "
            "off on loopback. --no-auth is for local development only.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing the port (each holds its own lineage index in "
            "memory); about one per core.",
        ),
    ] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from provgraph.service.security import auth_required, is_loopback
    from provgraph.service.security.redact import install_log_redaction

    settings = Settings.from_env()
    require = auth_required(settings.auth, host=host, flag=auth)
    if not require and not is_loopback(host):
        err.print(f"[red]warning[/]: listening on {host} with authentication OFF (--no-auth)")
    elif not require:
        err.print("[dim]auth off on loopback: use --auth to require tokens[/]")
    install_log_redaction(settings)
    if workers == 1:
        from provgraph.service.api import create_app

        app = create_app(settings, auth=require)
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
        return
    # Each worker is a fresh process that builds the app itself (the decision on tokens
    # travels in the environment). This process becomes uvicorn's supervisor, which needs
    # none of what the CLI imported: exec it lean (~150 MB less). Its socket has Nagle off
    # (cli/supervisor.py says why).
    os.environ["PROVGRAPH_AUTH"] = "on" if require else "off"
    command = [
        sys.executable,
        "-m",
        "provgraph.cli.supervisor",
        host,
        str(port),
        str(workers),
        log_level,
        "on" if access_log else "off",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, command)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (documented in the module docstring)."""
    logging.getLogger("neo4j").setLevel(
        logging.CRITICAL
    )  # the driver's retry chatter; errors are ours to print
    try:
        # Without standalone mode the parser returns the code of typer.Exit instead of exiting.
        with security.cli_actor():
            code = app(args=argv, prog_name="provgraph", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors exit 2, other parser errors 1
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {exc}", highlight=False)
        return int(getattr(exc, "exit_code", 2))
    except ProvgraphError as exc:
        err.print(f"[red]error[/]: {escape(exc.detail)}", highlight=False)
        for line_error in getattr(exc, "errors", [])[1:20]:
            err.print(f"  {escape(str(line_error))}", highlight=False)
        return exc.exit_code
    return code if isinstance(code, int) else 0


def main() -> None:
    sys.exit(run())
