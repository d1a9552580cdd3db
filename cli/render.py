"""Text renderings of lineage answers: a rich tree, Graphviz DOT, and small tables."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from provgraph.service.models import Artifact, Direction, Lineage, LineageEdge, Stats

__all__ = ["artifact_table", "lineage_dot", "lineage_tree", "stats_table"]

_KIND_STYLE = {"dataset": "cyan", "model": "magenta", "source": "green"}


def _label(
    artifact: Artifact | None, artifact_id: str, via: str | None = None, note: str | None = None
) -> Text:
    text = _plain_label(artifact, artifact_id, via)
    if note:
        text.append(f"  {note}", style="dim cyan")
    return text


def _plain_label(artifact: Artifact | None, artifact_id: str, via: str | None) -> Text:
    text = Text()
    if via:
        text.append(f"{via} ", style="dim")
    if artifact is None:
        text.append(artifact_id, style="bold")
        return text
    kind = artifact.kind.value
    text.append(f"[{kind}] ", style=_KIND_STYLE.get(kind, ""))
    text.append(artifact.name or artifact.id, style="bold")
    if artifact.name and artifact.name != artifact.id:
        text.append(f"  {artifact.id}", style="dim")
    license_expr = (artifact.model_extra or {}).get("license")
    if license_expr:
        text.append(f"  ({license_expr})", style="yellow")
    return text


def lineage_tree(
    answer: Lineage, root: Artifact | None, notes: dict[str, str] | None = None
) -> Tree:
    """The lineage as a tree from the root. A node reached again is shown once in full and
    then as a reference, so a DAG with many converging paths prints in linear size.
    ``notes`` adds a line of text to some nodes (e.g. their latest check)."""
    notes = notes or {}
    by_id = {node.id: node for node in answer.nodes}
    children: dict[str, list[LineageEdge]] = defaultdict(list)
    for edge in answer.edges:
        if answer.direction is Direction.UPSTREAM:
            children[edge.from_].append(edge)
        else:
            children[edge.to].append(edge)
    upstream = answer.direction is Direction.UPSTREAM

    def ordered(node_id: str) -> Iterator[LineageEdge]:
        return iter(sorted(children.get(node_id, []), key=lambda e: (e.type, e.to, e.from_)))

    tree = Tree(_label(root, answer.root, note=notes.get(answer.root)))
    expanded = {answer.root}
    # Depth-first in display order (explicit stack: lineage can be thousands of hops deep),
    # so the first time a node is printed is the full entry and later ones point up to it.
    stack: list[tuple[Tree, Iterator[LineageEdge]]] = [(tree, ordered(answer.root))]
    while stack:
        branch, pending = stack[-1]
        following = next(pending, None)
        if following is None:
            stack.pop()
            continue
        edge = following
        other = edge.to if upstream else edge.from_
        via = edge.type.value if upstream else f"<-{edge.type.value}-"
        if other in expanded:
            label = _label(by_id.get(other), other, via)
            label.append("  (shown above)", style="dim italic")
            branch.add(label)
            continue
        label = _label(by_id.get(other), other, via, note=notes.get(other))
        expanded.add(other)
        stack.append((branch.add(label), ordered(other)))
    return tree


def _dot_id(value: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, everything else as it is."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_label(*lines: str) -> str:
    """A quoted DOT label with one line per part (DOT's own \\n line break)."""
    return "\\n".join(_dot_id(line)[1:-1] for line in lines).join('""')


def lineage_dot(answer: Lineage, root: Artifact | None) -> str:
    """Graphviz DOT: nodes shaped by kind, edges labelled by relationship type."""
    shapes = {"dataset": "box", "model": "ellipse", "source": "note"}
    lines = [f"digraph {_dot_id('lineage of ' + answer.root)} {{", "  rankdir=BT;"]
    for node in ([root] if root else []) + list(answer.nodes):
        label = _dot_label(node.name, node.id) if node.name else _dot_id(node.id)
        attrs = f"label={label}, shape={shapes.get(node.kind.value, 'box')}"
        if node.id == answer.root:
            attrs += ", style=bold"
        lines.append(f"  {_dot_id(node.id)} [{attrs}];")
    for edge in answer.edges:
        lines.append(
            f"  {_dot_id(edge.from_)} -> {_dot_id(edge.to)} [label={_dot_id(edge.type.value)}];"
        )
    lines.append("}")
    return "\n".join(lines)


def artifact_table(artifact: Artifact) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in artifact.model_dump(mode="json").items():
        if value is None or value == []:
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        shown = json.dumps(shown, ensure_ascii=False) if isinstance(shown, dict) else str(shown)
        table.add_row(key, Text(shown))  # Text: user data is never read as rich markup
    return table


def stats_table(stats: Stats) -> Table:
    table = Table(title="provgraph graph")
    table.add_column("kind")
    table.add_column("name")
    table.add_column("count", justify="right")
    for label, count in stats.nodes.items():
        table.add_row("node", label, f"{count:,}")
    for rel_type, count in stats.relationships.items():
        table.add_row("relationship", rel_type, f"{count:,}")
    return table
