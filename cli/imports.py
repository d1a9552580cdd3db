"""`provgraph import ...`: load catalogs from other sources into the provenance graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from provgraph.cli.common import JsonOption, connect, out, print_json
from provgraph.service.errors import InvalidInput
from provgraph.service.licensing.dpi import Confusion, Mode, import_dpi
from provgraph.service.licensing.propagation import Policy

__all__ = ["app"]

app = typer.Typer(help="Import catalogs from other sources.", no_args_is_help=True)


def _matrix(comparison: Confusion) -> Table:
    table = Table(
        title=f"DPI category (rows) vs provgraph ({comparison.mode.value}, {comparison.policy})"
    )
    columns = list(comparison.matrix)
    table.add_column("DPI \\ provgraph")
    for column in columns:
        table.add_column(column, justify="right")
    for row, counts in comparison.matrix.items():
        table.add_row(row, *(f"{counts[c]:,}" for c in columns))
    return table


@app.command("dpi")
def dpi(
    file: Annotated[Path, typer.Argument(help="Data Provenance Initiative records (JSON lines).")],
    mode: Annotated[
        Mode,
        typer.Option(
            case_sensitive=False,
            help="faithful: the audited license list as the dataset's license; lineage: vendor "
            "pseudo-licenses become GENERATED_BY edges to models carrying the vendor's terms.",
        ),
    ] = Mode.LINEAGE,
    policy: Annotated[Policy, typer.Option(case_sensitive=False)] = Policy.STRICT,
    prefix: Annotated[
        str, typer.Option(help="Id prefix of the imported nodes (e.g. to keep two modes apart).")
    ] = "dpi:",
    as_json: JsonOption = False,
) -> None:
    """Import a DPI catalog (ids `dpi:<id>`) and compare provgraph's categories with DPI's."""
    if not file.is_file():
        raise InvalidInput(f"no such file: {file}")
    with connect(schema=True) as store, file.open("rb") as handle:
        result = import_dpi(store, handle, mode=mode, policy=policy, prefix=prefix)
    if as_json:
        print_json(result)
        return
    out.print(
        f"imported {result.datasets:,} datasets and {result.models:,} generator models "
        f"({result.nodes_created:,} nodes, {result.relationships_created:,} relationships new)"
    )
    if result.unresolved_licenses:
        out.print(
            f"{sum(result.unresolved_licenses.values())} license entries unknown to the KB "
            "(read as unknown, never as permissive)"
        )
    if result.comparison:
        c = result.comparison
        out.print(_matrix(c))
        out.print(
            f"attribution agrees on {c.attribution_agree:,}/{c.records:,}, share-alike on "
            f"{c.share_alike_agree:,}/{c.records:,}; provgraph stricter on {len(c.stricter):,}, "
            f"more permissive on {len(c.more_permissive):,}"
        )
