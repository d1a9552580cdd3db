"""``provgraph token create|list|revoke`` and ``provgraph audit ID``."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated

import typer

from provgraph.cli.common import JsonOption, connect, err, out, print_json
from provgraph.service import security
from provgraph.service.security import Scope

__all__ = ["audit_command", "cli_actor", "token_app"]

token_app = typer.Typer(
    help="API tokens (Authorization: Bearer) with scopes read, write or admin.",
    no_args_is_help=True,
)


@token_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the token, e.g. ci.")],
    scopes: Annotated[
        list[Scope] | None,
        typer.Option("--scope", help="read, write or admin (repeatable; admin includes all)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a token and print it once: only a salted hash of it is stored."""
    with connect(schema=True) as store:
        token = security.create_token(store, name, scopes or [Scope.READ])
    if as_json:
        print_json(token)
        return
    out.print(token.token, markup=False, highlight=False)
    err.print(
        f"token {token.id} ({token.name}, scope {', '.join(s.value for s in token.scopes)}): "
        "store it now, it is not shown again",
        markup=False,
        highlight=False,
    )


@token_app.command("list")
def list_command(
    include_revoked: Annotated[bool, typer.Option("--all", help="Show revoked ones too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Tokens by id, name and scope (never their values)."""
    with connect() as store:
        tokens = security.list_tokens(store, include_revoked=include_revoked)
    if as_json:
        print_json(tokens)
        return
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        scopes = ",".join(s.value for s in t.scopes)
        out.print(
            f"{t.id}  {t.name}  {scopes}  created {t.created_at:%Y-%m-%d}  {state}", markup=False
        )
    if not tokens:
        out.print("no tokens")


@token_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token id from `list`.")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a token (a running API refuses it within seconds)."""
    with connect() as store:
        token = security.revoke_token(store, token_id)
    if as_json:
        print_json(token)
    else:
        out.print(f"revoked {token.id} ({token.name})", markup=False)


def audit_command(
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="Artifact id.")],
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest N writes.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """The recorded writes of an artifact: when, by whom, through which token or SDK run."""
    with connect() as store:
        trail = security.artifact_audit(store, artifact_id, limit=limit)
    if as_json:
        print_json(trail)
        return
    for e in trail.events:
        via = f"token {e.token_id}" if e.token_id else e.via
        run = f"  run {e.run}" if e.run else ""
        out.print(f"{e.at:%Y-%m-%dT%H:%M:%S%z}  {e.actor} ({via}){run}  {e.source}", markup=False)
    if not trail.events:
        out.print("no recorded writes")
    if not trail.complete:
        err.print(f"[yellow]only the newest {limit}[/]: raise --limit for more")


def cli_actor() -> AbstractContextManager[security.Actor]:
    """Attribute the writes of this command to the local user, through the CLI."""
    local = security.current_actor()
    return security.acting_as(local.model_copy(update={"via": "cli"}))
