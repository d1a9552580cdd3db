"""`provgraph demo`: start the local Neo4j if needed, load the example graph, show a lineage."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from provgraph.cli.render import lineage_tree
from provgraph.examples import example_path
from provgraph.service import artifacts, lineage
from provgraph.service.ingest import ingest_lines
from provgraph.service.licensing import report
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
        _conflicts(store, root.id)
    out.print(
        "\nNext: [bold]provgraph lineage ID --format dot[/], "
        "[bold]provgraph licenses ID[/], [bold]provgraph conflicts ID --fail-on error[/], "
        "[bold]provgraph serve[/] (API docs at http://127.0.0.1:8000/docs), "
        "[bold]provgraph db start --browser[/] for Neo4j Browser."
    )


def _conflicts(store: Store, root_id: str) -> None:
    """The license and terms conflicts of the demo artifact, errors first, with their paths."""
    answer = report.license_report(store, root_id)
    errors = [c for c in answer.conflicts if c["severity"] == "error"]
    warnings = len(answer.conflicts) - len(errors)
    out.rule(f"License conflicts of {root_id} (declared {answer.declared or 'nothing'})")
    out.print(f"category under the strict policy: [bold]{answer.category}[/]")
    for conflict in errors:
        line = Text("error ", style="bold red")
        line.append(f"{conflict['rule']}: ", style="bold")
        line.append(conflict["explanation"])
        line.append("\n  remedy: ", style="dim")
        line.append(conflict["remedy"], style="dim")
        out.print(line)
    out.print(f"[dim]and {warnings} warnings: provgraph conflicts {root_id}[/]")
