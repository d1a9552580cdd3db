"""The ``provgraph`` command against a real Neo4j: exit codes, ingest, show, lineage, path, stats.

``run(argv)`` returns the exit code; output is captured with ``capsys``. Lineage answers are
compared with the in-memory BFS of ``lineage_oracle`` on a copy of the example graph loaded
under a private id prefix.
"""

from __future__ import annotations

import io
import json
import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lineage_oracle import DOWNSTREAM, UPSTREAM, LineageGraph, edge_set, example_copy, prefix_ids

from provgraph.cli.main import run
from provgraph.service.ingest import ingest_lines
from provgraph.service.settings import Settings
from provgraph.service.store import Store

# Line -> a word its rejection reason must contain (examples/bad-input.ndjson).
BAD_LINES = {
    7: "colour",
    8: "weights",
    9: "dangling",
    10: "self-loop",
    13: "cycle",
    14: "json",
    15: "id",
    16: "GENERATED_BY",
}
BAD_FILE_IDS = ("src:demo-annotators", "demo:a", "demo:b", "demo:c", "demo:m")


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def err_flat(self) -> str:
        """stderr with rich's line wrapping undone."""
        return " ".join(self.err.split())

    def __repr__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


Cli = Callable[..., Result]


@pytest.fixture()
def cli(
    env_for_cli: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """Run ``provgraph ARGS`` against the test database; returns a ``Result``."""
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping of long ids in tables and trees
    capsys.readouterr()

    def invoke(*args: str) -> Result:
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


@pytest.fixture(scope="module")
def copy(store: Store, example_file: Path) -> tuple[str, LineageGraph]:
    def load(lines: list[str]) -> None:
        ingest_lines(store, lines, source="example copy")

    return example_copy(example_file, load)


@pytest.fixture()
def dead_uri() -> Iterator[str]:
    """A loopback port that is bound but never listens: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"neo4j://127.0.0.1:{sock.getsockname()[1]}"


def write_ndjson(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def small_graph(ns: str) -> list[dict[str, Any]]:
    return [
        {"node": "source", "id": f"{ns}src", "name": "Annotators", "human": True},
        {
            "node": "model",
            "id": f"{ns}teacher",
            "name": "Teacher",
            "model_type": "llm",
            "license": "LicenseRef-t",
        },
        {
            "node": "dataset",
            "id": f"{ns}data",
            "name": "Data",
            "license": "CC-BY-4.0",
            "records": 10,
        },
        {"edge": "DERIVED_FROM", "from": f"{ns}data", "to": f"{ns}src", "records": 4},
        {"edge": "GENERATED_BY", "from": f"{ns}data", "to": f"{ns}teacher", "records": 6},
    ]


# ---------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    "args",
    [
        ["lineage", "x", "--bogus"],
        ["lineage"],
        ["show"],
        ["path", "only-one"],
        ["ingest"],
        ["lineage", "x", "--direction", "sideways"],
        ["lineage", "x", "--format", "svg"],
        ["lineage", "x", "--max-depth", "0"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.strip()


def test_help_exits_0(cli: Cli) -> None:
    result = cli("--help")
    assert result.code == 0, result
    for command in ("ingest", "show", "lineage", "path", "stats", "serve", "demo", "db"):
        assert command in result.out


def test_unreachable_database_exits_3(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, dead_uri: str, tmp_path: Path, ns: str
) -> None:
    monkeypatch.setenv("NEO4J_URI", dead_uri)
    data = write_ndjson(tmp_path / "g.ndjson", small_graph(ns))
    # Only a write command: reads (stats, show, lineage) also exit 3, but only after the
    # driver's managed-transaction retries give up, about 6 s later.
    result = cli("ingest", str(data))
    assert result.code == 3, result
    assert "unreachable" in result.err_flat
    assert result.out == ""


def test_unknown_ids_exit_1(cli: Cli, ns: str) -> None:
    for args in (
        ["show", f"{ns}nope"],
        ["lineage", f"{ns}nope"],
        ["path", f"{ns}nope", f"{ns}nada"],
    ):
        result = cli(*args)
        assert result.code == 1, result
        assert f"{ns}nope" in result.err_flat


def test_ingest_of_a_missing_file_exits_1(cli: Cli, tmp_path: Path) -> None:
    result = cli("ingest", str(tmp_path / "nope.ndjson"))
    assert result.code == 1, result
    assert "nope.ndjson" in result.err_flat


# ---------------------------------------------------------------- ingest


def test_ingest_file_with_json_report_then_plain(cli: Cli, tmp_path: Path, ns: str) -> None:
    data = write_ndjson(tmp_path / "g.ndjson", small_graph(ns))
    result = cli("ingest", str(data), "--json")
    assert result.code == 0, result
    report = result.json
    assert (report["lines"], report["nodes"], report["edges"], report["skipped"]) == (5, 3, 2, [])
    # Graph changes: License nodes and LICENSED_UNDER relationships count too.
    assert report["nodes_created"] >= 3
    assert report["relationships_created"] >= 2

    again = cli("ingest", str(data))
    assert again.code == 0, again
    assert "loaded" in again.out and "3 artifacts" in again.out and "2 lineage edges" in again.out
    assert "0 nodes and 0 relationships created" in " ".join(again.out.split())
    shown = cli("show", f"{ns}data", "--json")
    assert shown.code == 0 and shown.json["licenses"] == ["CC-BY-4.0"]


def test_ingest_from_stdin(cli: Cli, monkeypatch: pytest.MonkeyPatch, ns: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in small_graph(ns)).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = cli("ingest", "-", "--json")
    assert result.code == 0, result
    assert result.json["source"] == "stdin"
    assert result.json["nodes_created"] >= 3
    lineage = cli("lineage", f"{ns}data", "--json")
    assert {n["id"] for n in lineage.json["nodes"]} == {f"{ns}src", f"{ns}teacher"}


def test_ingest_closing_a_cycle_exits_1_and_writes_nothing(
    cli: Cli, tmp_path: Path, ns: str
) -> None:
    records = [{"node": "dataset", "id": f"{ns}{n}"} for n in "ab"] + [
        {"edge": "DERIVED_FROM", "from": f"{ns}a", "to": f"{ns}b"},
        {"edge": "DERIVED_FROM", "from": f"{ns}b", "to": f"{ns}a"},
    ]
    result = cli("ingest", str(write_ndjson(tmp_path / "cycle.ndjson", records)))
    assert result.code == 1, result
    assert "cycle" in result.err_flat
    assert f"{ns}a" in result.err_flat
    assert cli("show", f"{ns}a").code == 1


def bad_input_copy(example_file: Path, ns: str, tmp_path: Path) -> Path:
    bad = example_file.with_name("bad-input.ndjson").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "bad-input.ndjson"
    path.write_text("\n".join(prefix_ids(bad, ns)) + "\n", encoding="utf-8")
    return path


def reported_lines(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\bline (\d+)\b", text)}


def test_every_bad_input_line_is_rejected_by_number_and_nothing_is_written(
    cli: Cli, example_file: Path, ns: str, tmp_path: Path
) -> None:
    result = cli("ingest", str(bad_input_copy(example_file, ns, tmp_path)))
    assert result.code == 1, result
    assert reported_lines(result.err_flat) == set(BAD_LINES)
    for line, word in BAD_LINES.items():
        message = re.search(rf"line {line}: (.*?)(?= line \d+:|$)", result.err_flat)
        assert message and word.lower() in message.group(1).lower(), (line, result.err_flat)
    for artifact_id in BAD_FILE_IDS:  # the valid lines were not written either
        assert cli("show", ns + artifact_id).code == 1, artifact_id


def test_the_shipped_bad_input_file_is_rejected(cli: Cli, example_file: Path) -> None:
    """The file itself (its ids are shared: only those absent before must stay absent)."""
    absent = [i for i in BAD_FILE_IDS if cli("show", i).code == 1]
    result = cli("ingest", str(example_file.with_name("bad-input.ndjson")))
    assert result.code == 1, result
    assert reported_lines(result.err_flat) == set(BAD_LINES)
    assert [i for i in absent if cli("show", i).code == 0] == []


def test_skip_invalid_loads_the_valid_lines(
    cli: Cli, example_file: Path, ns: str, tmp_path: Path
) -> None:
    path = bad_input_copy(example_file, ns, tmp_path)
    result = cli("ingest", str(path), "--skip-invalid", "--json")
    assert result.code == 0, result
    assert {s["line"] for s in result.json["skipped"]} == set(BAD_LINES)
    assert result.json["nodes_created"] == len(BAD_FILE_IDS)
    for artifact_id in BAD_FILE_IDS:
        assert cli("show", ns + artifact_id).code == 0, artifact_id
    # The cycle's first two edges loaded; its closing edge (line 13) did not.
    up = cli("lineage", f"{ns}demo:a", "--json").json
    assert edge_set(up["edges"]) == {
        (f"{ns}demo:a", f"{ns}src:demo-annotators", "DERIVED_FROM"),
        (f"{ns}demo:a", f"{ns}demo:b", "DERIVED_FROM"),
        (f"{ns}demo:b", f"{ns}demo:c", "DERIVED_FROM"),
    }

    plain = cli("ingest", str(path), "--skip-invalid")
    assert plain.code == 0, plain
    assert reported_lines(plain.err_flat) == set(BAD_LINES)
    assert "skipped" in plain.err


# ---------------------------------------------------------------- stats


def test_stats_json_shape(cli: Cli) -> None:
    result = cli("stats", "--json")
    assert result.code == 0, result
    stats = result.json
    assert set(stats) == {"nodes", "relationships"}
    assert {"Artifact", "Dataset", "Model", "Source", "License"} <= set(stats["nodes"])
    assert {
        "DERIVED_FROM",
        "GENERATED_BY",
        "TRAINED_ON",
        "FINE_TUNED_FROM",
        "LICENSED_UNDER",
    } <= set(stats["relationships"])
    for counts in stats.values():
        assert all(isinstance(k, str) and type(v) is int and v >= 0 for k, v in counts.items())


def test_reingesting_the_example_leaves_stats_unchanged(cli: Cli, example_loaded: Path) -> None:
    # The database may be shared: a difference must show on every attempt to count.
    for _attempt in range(3):
        before = cli("stats", "--json").json
        result = cli("ingest", str(example_loaded), "--json")
        after = cli("stats", "--json").json
        assert result.code == 0, result
        assert result.json["nodes_created"] == 0
        assert result.json["relationships_created"] == 0
        assert result.json["skipped"] == []
        if before == after:
            return
    pytest.fail(f"stats changed on re-ingest: {before} -> {after}")


# ---------------------------------------------------------------- show


def test_show_json(cli: Cli, example_loaded: Path) -> None:
    result = cli("show", "hf:tatsu-lab/alpaca", "--json")
    assert result.code == 0, result
    artifact = result.json
    assert artifact["id"] == "hf:tatsu-lab/alpaca"
    assert artifact["kind"] == "dataset"
    assert artifact["licenses"] == ["CC-BY-NC-4.0"]
    assert artifact["records"] == 52002
    plain = cli("show", "hf:tatsu-lab/alpaca")
    assert plain.code == 0 and "Stanford Alpaca data" in plain.out


def test_error_messages_print_ids_verbatim_even_with_brackets(cli: Cli, ns: str) -> None:
    result = cli("show", f"{ns}x[/]")
    assert result.code == 1, result
    assert f"{ns}x[/]" in result.err


def test_error_messages_keep_bracketed_words(cli: Cli, ns: str) -> None:
    result = cli("show", f"{ns}[bold]y")
    assert result.code == 1, result
    assert f"{ns}[bold]y" in result.err


# ---------------------------------------------------------------- lineage


LINEAGE_KEYS = {
    "root",
    "direction",
    "nodes",
    "edges",
    "total",
    "complete",
    "truncated_reason",
    "next_cursor",
}
ROOTS = (
    "example:helpdesk-7b",
    "hf:TheBloke/zephyr-7B-beta-GGUF",
    "hf:openbmb/UltraFeedback",
    "src:wikipedia",
)


def check_json(
    answer: dict[str, Any], graph: LineageGraph, root: str, direction: str, **kw: Any
) -> None:
    assert set(answer) >= LINEAGE_KEYS
    nodes, edges, truncated = graph.expected(root, direction, **kw)
    assert answer["root"] == root and answer["direction"] == direction
    assert [n["id"] for n in answer["nodes"]] == sorted(nodes)
    for node in answer["nodes"]:
        assert {"id", "kind", "name"} <= set(node)
        assert node["kind"] == graph.nodes[node["id"]]["node"]
        assert node["name"] == graph.nodes[node["id"]].get("name")
    for edge in answer["edges"]:
        assert {"from", "to", "type"} <= set(edge)
    assert edge_set(answer["edges"]) == edges
    assert answer["complete"] is (not truncated)
    assert answer["truncated_reason"] == ("max_depth" if truncated else None)


@pytest.mark.parametrize("direction", [UPSTREAM, DOWNSTREAM])
def test_lineage_json_matches_bfs(cli: Cli, copy: tuple[str, LineageGraph], direction: str) -> None:
    prefix, graph = copy
    for name in ROOTS:
        result = cli("lineage", prefix + name, "--direction", direction, "--json")
        assert result.code == 0, result
        check_json(result.json, graph, prefix + name, direction)
        same = cli("lineage", prefix + name, "--direction", direction, "--format", "json")
        assert same.json == result.json


def test_lineage_max_depth_1_is_the_parents(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, graph = copy
    root = prefix + "example:helpdesk-7b"
    result = cli("lineage", root, "--max-depth", "1", "--json")
    assert result.code == 0, result
    check_json(result.json, graph, root, UPSTREAM, max_depth=1)
    assert result.json["complete"] is False
    tree = cli("lineage", root, "--max-depth", "1")
    assert tree.code == 0, tree
    assert "incomplete" in tree.err and "max_depth" in tree.err
    down = cli(
        "lineage",
        prefix + "src:wikipedia",
        "--direction",
        "downstream",
        "--max-depth",
        "1",
        "--json",
    )
    check_json(down.json, graph, prefix + "src:wikipedia", DOWNSTREAM, max_depth=1)


def test_lineage_edge_kind_option(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, graph = copy
    root = prefix + "example:helpdesk-7b"
    result = cli(
        "lineage", root, "--edge-kind", "TRAINED_ON", "--edge-kind", "DERIVED_FROM", "--json"
    )
    assert result.code == 0, result
    check_json(result.json, graph, root, UPSTREAM, kinds=["TRAINED_ON", "DERIVED_FROM"])


def test_lineage_pages_with_limit_and_cursor(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, graph = copy
    root = prefix + "example:helpdesk-7b"
    seen: list[str] = []
    args = ["lineage", root, "--limit", "5", "--json"]
    while True:
        page = cli(*args)
        assert page.code == 0, page
        seen += [n["id"] for n in page.json["nodes"]]
        if page.json["next_cursor"] is None:
            break
        args = ["lineage", root, "--limit", "5", "--json", "--cursor", page.json["next_cursor"]]
    assert seen == sorted(graph.closure(root))


def test_lineage_dot(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, graph = copy
    root = prefix + "hf:tatsu-lab/alpaca-7b-wdiff"
    result = cli("lineage", root, "--format", "dot")
    assert result.code == 0, result
    dot = result.out.strip()
    assert dot.startswith("digraph ") and dot.endswith("}")
    assert dot.count("{") == 1 == dot.count("}")
    arrows = [line.strip() for line in dot.splitlines() if "->" in line]
    _, edges, _ = graph.expected(root)
    assert len(arrows) == len(edges) > 5
    for frm, to, kind in edges:
        assert f'{json.dumps(frm)} -> {json.dumps(to)} [label="{kind}"];' in arrows
    for node in graph.closure(root) | {root}:
        assert re.search(rf"^\s*{re.escape(json.dumps(node))} \[", dot, re.M), node


def test_lineage_dot_labels_break_lines(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, _ = copy
    root = prefix + "hf:tatsu-lab/alpaca-7b-wdiff"
    dot = cli("lineage", root, "--format", "dot").out
    assert f'label="Alpaca-7B\\n{root}"' in dot
    assert "\\\\n" not in dot


def test_lineage_dot_keeps_non_ascii_names(cli: Cli, tmp_path: Path, ns: str) -> None:
    records = [
        {"node": "dataset", "id": f"{ns}child", "name": "Café corpus"},
        {"node": "source", "id": f"{ns}parent", "name": "Zürich archive", "human": True},
        {"edge": "DERIVED_FROM", "from": f"{ns}child", "to": f"{ns}parent"},
    ]
    assert cli("ingest", str(write_ndjson(tmp_path / "u.ndjson", records))).code == 0
    dot = cli("lineage", f"{ns}child", "--format", "dot").out
    assert "Café corpus" in dot and "Zürich archive" in dot


@pytest.mark.parametrize("direction", [UPSTREAM, DOWNSTREAM])
def test_lineage_tree_names_every_node(
    cli: Cli, copy: tuple[str, LineageGraph], direction: str
) -> None:
    prefix, graph = copy
    for name in ROOTS:
        root = prefix + name
        result = cli("lineage", root, "--direction", direction)
        assert result.code == 0, result
        assert root in result.out
        for node in graph.closure(root, direction):
            assert node in result.out or graph.nodes[node].get("name", node) in result.out, node
        assert f"{len(graph.closure(root, direction))} {direction} artifacts" in result.out


def mentions(line: str, artifact_id: str) -> bool:
    return re.search(rf"(^|\s){re.escape(artifact_id)}(\s|$)", line) is not None


def test_lineage_tree_shown_above_points_up(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, graph = copy
    for name in (*ROOTS, "hf:tatsu-lab/alpaca-7b-wdiff"):
        root = prefix + name
        lines = cli("lineage", root).out.splitlines()
        for index, line in enumerate(lines):
            if "(shown above)" not in line:
                continue
            node = next(n for n in graph.nodes if mentions(line, n))
            full = [
                i
                for i, text in enumerate(lines)
                if mentions(text, node) and "(shown above)" not in text
            ]
            assert full and full[0] < index, f"{node} is 'shown above' on line {index} of {root}"


# ---------------------------------------------------------------- path


def test_path_prints_a_chain_to_the_ancestor(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, graph = copy
    root, target = prefix + "hf:TheBloke/zephyr-7B-beta-GGUF", prefix + "src:wikidata"
    distance = graph.distances(root)[target]
    result = cli("path", root, target, "--json")
    assert result.code == 0, result
    path = result.json
    assert path["found"] is True
    assert path["nodes"][0] == root and path["nodes"][-1] == target
    assert len(path["edges"]) == distance
    for i, edge in enumerate(path["edges"]):
        assert (edge["from"], edge["to"], edge["type"]) in graph.edges
        assert (edge["from"], edge["to"]) == (path["nodes"][i], path["nodes"][i + 1])

    plain = cli("path", root, target)
    assert plain.code == 0, plain
    flat = " ".join(plain.out.split())
    positions = [flat.index(node) for node in path["nodes"]]
    assert positions == sorted(positions)
    for edge in path["edges"]:
        assert edge["type"] in flat


def test_path_to_a_non_ancestor_exits_1(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, _ = copy
    child, parent = prefix + "hf:tatsu-lab/alpaca", prefix + "src:self-instruct-seeds"
    result = cli("path", parent, child)
    assert result.code == 1, result
    assert "not upstream" in result.err_flat
    assert cli("path", parent, child, "--json").json["found"] is False


def test_path_to_itself_exits_cleanly(cli: Cli, copy: tuple[str, LineageGraph]) -> None:
    prefix, _ = copy
    root = prefix + "hf:tatsu-lab/alpaca"
    result = cli("path", root, root)
    assert result.code == 1, result
