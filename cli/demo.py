"""`provgraph demo`: start the local Neo4j if needed, load the example graph, show a lineage."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from provgraph.cli.render import lineage_tree
from provgraph.examples import example_path
from provgraph.service import artifacts, lineage
from provgraph.service.ingest import ingest_lines
from provgraph.service.models import Lineage
from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = ["DEMO_NODE", "demo"]

DEMO_NODE = "example:helpdesk-7b"
out = Console()


def demo(
    node: Annotated[str, typer.Option(help="Artifact whose ancestry to show.")] = DEMO_NODE,
) -> None:
    """Start the local Neo4j if needed, load the example AI supply chain, print a lineage."""
    settings = Settings.from_env()
    if settings.managed:
        from provgraph.service.localdb import LocalNeo4j

        with out.status("starting the local Neo4j (the first run downloads it with Maven)..."):
            connection = LocalNeo4j(settings).start()
        out.print(f"[green]Neo4j[/] ready at {connection.uri}")
    else:
        out.print(f"[green]Neo4j[/] at {settings.neo4j_uri} (NEO4J_URI)")
    source = example_path()
    with Store.connect(settings) as store:
        store.ensure_schema()
        report = ingest_lines(store, source.open("rb"), source=source.name)
        out.print(
            f"[green]loaded[/] {source.name}: {report.nodes} artifacts, "
            f"{report.edges} lineage edges ({report.nodes_created} new nodes)"
        )
        answer = lineage.lineage(store, node, limit=lineage.MAX_LIMIT)
        root = artifacts.get_artifact(store, node)
        out.rule(f"Where {root.name or node} came from")
        out.print(lineage_tree(answer, root))
        out.print(_licenses_upstream(store, root.id, answer))
    out.print(
        "\nNext: [bold]provgraph lineage ID --format dot[/], "
        "[bold]provgraph serve[/] (API docs at http://127.0.0.1:8000/docs), "
        "[bold]provgraph db start --browser[/] for Neo4j Browser."
    )


def _licenses_upstream(store: Store, root_id: str, answer: Lineage) -> Table:
    """Every license or terms id declared upstream, with the shortest path that carries it:
    the facts a license review starts from (the judgement itself is `provgraph conflicts`)."""
    root = artifacts.get_artifact(store, root_id)
    extra = root.model_extra or {}
    title = (
        f"Licenses and terms upstream of {root.name or root_id} "
        f"(declared: {extra.get('license', 'none')}, "
        f"intended use: {extra.get('intended_use', 'unstated')}, "
        f"distribution: {extra.get('distribution', 'unstated')})"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("license / terms", style="yellow")
    table.add_column("declared on")
    table.add_column("path from the root", style="dim")
    carriers: dict[str, list[str]] = {}
    for node in answer.nodes:
        expression = (node.model_extra or {}).get("license")
        if expression:
            carriers.setdefault(expression, []).append(node.id)
    for expression, ids in sorted(carriers.items()):
        nearest = min(ids, key=lambda i: len(lineage.witness_path(store, root_id, i).nodes))
        hops = lineage.witness_path(store, root_id, nearest)
        steps = " -> ".join(hops.nodes)
        more = f" (+{len(ids) - 1} more)" if len(ids) > 1 else ""
        table.add_row(expression, nearest + more, steps)
    return table
