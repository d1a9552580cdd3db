"""``provgraph db``: run the local Neo4j that provgraph manages when NEO4J_URI is unset."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from provgraph.service.localdb import (
    BROWSER_VERSION,
    LTS_LINE,
    NEO4J_VERSION,
    LocalNeo4j,
    ServerStatus,
    newest_patch,
    parse_size,
)
from provgraph.service.settings import DEFAULT_BOLT_PORT, DEFAULT_HTTP_PORT, Settings

app = typer.Typer(
    help="Run the local Neo4j Community server that provgraph manages (used when NEO4J_URI "
    "is unset): fetched once from Maven Central, loopback only, password kept for you.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # one line per error, never wrapped mid-path


def _size(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_size(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    return value


def _show_warning(message: Any, category: Any, *_args: Any, **_kwargs: Any) -> None:
    err.print(f"[yellow]warning:[/] {message}")


def _describe(status: ServerStatus, settings: Settings) -> None:
    out.print(f"  Bolt     {status.bolt_uri}")
    if status.browser and status.http_url:
        out.print(f"  Browser  {status.http_url}/browser/")
    elif status.http_url:
        out.print(f"  HTTP     {status.http_url}")
    out.print(f"  User     neo4j; password kept in {settings.credentials_file} (mode 0600)")
    out.print(f"  Home     {status.home}")


@app.command()
def start(
    browser: Annotated[
        bool, typer.Option("--browser", help="Also serve Neo4j Browser at /browser/.")
    ] = False,
    heap: Annotated[
        str | None,
        typer.Option(callback=_size, help="JVM heap, e.g. 2g (default: 1/12 of RAM, 512m-4g)."),
    ] = None,
    pagecache: Annotated[
        str | None,
        typer.Option(callback=_size, help="Page cache, e.g. 4g (default: like the heap)."),
    ] = None,
    bolt_port: Annotated[int, typer.Option(help="Bolt port on 127.0.0.1.")] = DEFAULT_BOLT_PORT,
    http_port: Annotated[int, typer.Option(help="HTTP port on 127.0.0.1.")] = DEFAULT_HTTP_PORT,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 120.0,
) -> None:
    """Fetch Neo4j if needed, start it in the background and wait until it answers."""
    settings = Settings.from_env()
    if not settings.managed:
        raise typer.BadParameter(
            f"NEO4J_URI is set ({settings.neo4j_uri}), so provgraph uses that server and "
            "manages none; unset NEO4J_URI to use the local one."
        )
    db = LocalNeo4j(
        settings,
        bolt_port=bolt_port,
        http_port=http_port,
        heap=heap,
        pagecache=pagecache,
        browser=browser,
    )
    current = db.status()
    if current.running:
        out.print(f"Neo4j {current.version} is already running (pid {current.pid}).")
        _describe(current, settings)
        return
    began = time.monotonic()
    with warnings.catch_warnings(), err.status("Preparing Neo4j...") as spinner:
        warnings.showwarning = _show_warning

        def progress(message: str) -> None:
            err.print(f"[dim]{message}[/]")
            spinner.update(message)

        db.start(timeout=timeout, progress=progress)
    status = db.status()
    out.print(
        f"Neo4j {status.version} is running (pid {status.pid}); "
        f"ready {time.monotonic() - began:.1f} s after `db start`."
    )
    _describe(status, settings)


@app.command()
def stop(
    timeout: Annotated[float, typer.Option(help="Seconds to wait before SIGKILL.")] = 120.0,
) -> None:
    """Stop the local Neo4j cleanly (SIGTERM, then wait)."""
    db = LocalNeo4j(Settings.from_env())
    pid = db.status().pid
    if db.stop(timeout=timeout):
        out.print(f"Stopped Neo4j (pid {pid}).")
    else:
        out.print("Neo4j is not running.")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
) -> None:
    """Show whether the local Neo4j runs, and where."""
    settings = Settings.from_env()
    current = LocalNeo4j(settings).status()
    if as_json:
        out.print_json(json.dumps(current.to_json(), sort_keys=True))
        return
    if current.running:
        out.print(f"Neo4j {current.version} is running (pid {current.pid}).")
    else:
        out.print(f"Neo4j is not running (home {current.home}).")
        return
    _describe(current, settings)


@app.command()
def logs(
    lines: Annotated[int, typer.Option("-n", "--lines", help="How many lines.")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing.")] = False,
) -> None:
    """Print the end of the server's output (logs/console.log)."""
    db = LocalNeo4j(Settings.from_env())
    text = db.logs(lines)
    if text:
        typer.echo(text)
    if follow:
        _follow(db.log_file)


def _follow(path: Path) -> None:
    position = path.stat().st_size if path.exists() else 0
    try:
        while True:
            if path.exists():
                if path.stat().st_size < position:  # rotated at a restart
                    position = 0
                with path.open("rb") as handle:
                    handle.seek(position)
                    chunk = handle.read()
                    position = handle.tell()
                if chunk:
                    typer.echo(chunk.decode("utf-8", errors="replace"), nl=False)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@app.command()
def versions(
    refresh: Annotated[
        bool, typer.Option(help="Ask Maven Central for its current version list.")
    ] = True,
) -> None:
    """Compare the pinned Neo4j version with the newest 5.26 patch on Maven Central."""
    settings = Settings.from_env()
    newest = newest_patch(LTS_LINE, refresh=refresh)
    out.print(f"Pinned:  Neo4j {NEO4J_VERSION} (override with PROVGRAPH_NEO4J_VERSION)")
    out.print(f"Newest {LTS_LINE}.x on Maven Central: {newest or 'unknown'}")
    cached = sorted(p.name for p in (settings.cache / "neo4j").glob("*") if p.is_dir())
    out.print(f"Cached in {settings.cache / 'neo4j'}: {', '.join(cached) or 'nothing yet'}")
    out.print(f"Browser: {BROWSER_VERSION} (newest on Maven Central)")
    if newest and _key(newest) > _key(NEO4J_VERSION):
        out.print(f"A newer patch exists: PROVGRAPH_NEO4J_VERSION={newest} provgraph db start")


_REMOTE_BACKUP = (
    "NEO4J_URI is set, so provgraph manages no server to dump. Docker: `docker compose stop "
    "neo4j` then `docker compose run --rm neo4j neo4j-admin database dump neo4j "
    "--to-path=/backups`; a remote server: run `neo4j-admin database dump` there (or online "
    "`neo4j-admin database backup` on Enterprise). See docs/security.md."
)


def _census_now(settings: Settings) -> Any:
    from provgraph.service.backup import census
    from provgraph.service.store import Store

    with Store.connect(settings) as store:
        store.verify()
        return census(store)


def _managed(settings: Settings) -> LocalNeo4j:
    if not settings.managed:
        raise typer.BadParameter(_REMOTE_BACKUP)
    return LocalNeo4j(settings)


@app.command()
def dump(
    path: Annotated[Path, typer.Argument(help="Archive to write, e.g. provgraph.dump.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Dump the local graph with neo4j-admin (stops Neo4j meanwhile: Community needs that)."""
    from provgraph.service.localdb.dumps import dump_database

    settings = Settings.from_env()
    server = _managed(settings)
    before = _census_now(settings) if server.status().running else None
    result = dump_database(server, path, overwrite=force, progress=lambda m: err.print(m))
    if before is not None:
        Path(f"{result.path}.census.json").write_text(before.model_dump_json(indent=2) + "\n")
        after = _census_now(settings)
        if after != before:
            raise typer.BadParameter(f"the graph changed across the dump: {before} -> {after}")
        out.print(
            f"Dumped {before.nodes:,} nodes and {before.relationships:,} relationships to "
            f"{result.path} ({result.bytes:,} bytes); Neo4j is running again."
        )
    else:
        out.print(f"Dumped the stopped database to {result.path} ({result.bytes:,} bytes).")


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="Archive written by `provgraph db dump`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the current graph (required).")
    ] = False,
) -> None:
    """Replace the local graph with a dump (stops Neo4j meanwhile; the old graph is gone)."""
    from provgraph.service.backup import Census
    from provgraph.service.errors import InvalidInput
    from provgraph.service.localdb.dumps import load_database

    if not force:
        raise InvalidInput(f"loading {path} replaces the whole current graph: pass --force")
    settings = Settings.from_env()
    server = _managed(settings)
    ran = load_database(server, path, progress=lambda m: err.print(m))
    if not ran:
        out.print(f"Loaded {path} into the stopped database; `provgraph db start` to use it.")
        return
    after = _census_now(settings)
    sidecar = Path(f"{path}.census.json")
    if sidecar.is_file():
        expected = Census.model_validate_json(sidecar.read_text())
        if after != expected:
            raise InvalidInput(f"the loaded graph differs from the dump's census: {after}")
    out.print(
        f"Loaded {path}: {after.nodes:,} nodes and {after.relationships:,} relationships"
        + (" (matches the dump's census)." if sidecar.is_file() else ".")
    )
