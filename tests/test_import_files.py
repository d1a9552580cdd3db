"""The bulk load's parse split across processes against the same parse in one process.

No database here (test_bulk_ingest.py imports the files into a real Neo4j): the importer's
CSV files, the counts beside them and the errors of a split parse must be exactly those of
the single-process parse, whatever falls into which part: repeats of a node, a run, an edge
or a run edge in two parts, bad lines in both, a cycle through both.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import awkward_records

from bench.enrich import enrich, write_ndjson
from bench.supply_chain import generate
from provgraph.service.errors import CycleRefused, IngestRejected, ProvgraphError
from provgraph.service.import_files import PART_BYTES, write_import_files
from provgraph.service.import_ranges import lines_before, range_lines, split_spans
from provgraph.service.security.audit import WriteAudit

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def filler(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The lines of a bench S graph: valid records that fill the parts."""
    path = tmp_path_factory.mktemp("filler") / "bench-s.ndjson"
    write_ndjson(enrich(generate(10_000, seed=42), prefix="bench:", seed=42), str(path))
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _file(path: Path, *pieces: list[str] | list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for piece in pieces:
            out.writelines(r if isinstance(r, str) else json.dumps(r) + "\n" for r in piece)
    return path


def _outcome(path: Path, directory: Path, processes: int, audit: WriteAudit) -> Any:
    """The files written and what ImportFiles says of them, or the error raised."""
    directory.mkdir()
    try:
        files = write_import_files(
            path,
            directory,
            now=NOW,
            audit=audit,
            epoch=7,
            source="t.ndjson",
            processes=processes,
            part_bytes=1,
        )
    except ProvgraphError as exc:
        if isinstance(exc, IngestRejected):
            return type(exc).__name__, [(e.line, e.reason) for e in exc.errors]
        if isinstance(exc, CycleRefused):
            return type(exc).__name__, (exc.line, exc.path)
        return type(exc).__name__, exc.detail
    written = {p.name: p.read_bytes() for p in sorted(directory.iterdir())}
    summary = dict(vars(files))
    summary["nodes"] = [(labels, p.name) for labels, p in files.nodes]
    summary["relationships"] = [(kind, p.name) for kind, p in files.relationships]
    summary["multiline"] = [p.name for p in files.multiline]
    return written, summary


def _same_for_any_split(path: Path, tmp: Path, splits: tuple[int, ...] = (2, 3)) -> Any:
    """The outcome in one process; asserts every split gives the same."""
    audit = WriteAudit(action="ingest", source="t.ndjson")
    single = _outcome(path, tmp / "one", 1, audit)
    for processes in splits:
        assert len(split_spans(path, processes, 1)) == processes  # really split
        assert _outcome(path, tmp / f"split-{processes}", processes, audit) == single
    return single


def _part_of(path: Path, line: int, processes: int = 2) -> int:
    """Which part of a split of ``path`` holds ``line``."""
    starts = [lines_before(path, start) + 1 for start, _ in split_spans(path, processes, 1)]
    return sum(1 for s in starts if s <= line) - 1


def test_spans_are_line_aligned_and_small_files_stay_in_one_process(
    example_file: Path, filler: list[str], tmp_path: Path
) -> None:
    assert split_spans(example_file, 2, PART_BYTES) == [(0, example_file.stat().st_size)]
    path = _file(tmp_path / "in.ndjson", filler, ["no break at the end"])
    for parts in (2, 3, 5):
        spans = split_spans(path, parts, 1)
        assert len(spans) == parts and spans[0][0] == 0 and spans[-1][1] == path.stat().st_size
        assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
        with path.open("rb") as handle:
            lines = [line for span in spans for line in range_lines(handle, *span)]
        assert lines == path.read_bytes().splitlines(keepends=True)
        for start, _ in spans:
            assert lines_before(path, start) == path.read_bytes()[:start].count(b"\n")


def test_a_split_parse_writes_exactly_the_files_of_one_process(
    example_file: Path, filler: list[str], tmp_path: Path
) -> None:
    example = example_file.read_text(encoding="utf-8").splitlines(keepends=True)
    path = _file(tmp_path / "in.ndjson", example, ["\n"], awkward_records(), filler)
    written, summary = _same_for_any_split(path, tmp_path)
    assert summary["artifacts"] > 10_000 and summary["lineage_edges"] > 25_000
    assert "nodes-audit.csv" in written and summary["fixups"]


def _firsts() -> list[dict[str, Any]]:
    return [
        {"node": "dataset", "id": "x:ds", "name": "first", "license": "MIT"},
        {"node": "source", "id": "x:src", "human": True},
        {"node": "model", "id": "x:model", "competes_with": ["a"]},
        {"edge": "DERIVED_FROM", "from": "x:ds", "to": "x:src", "records": 1},
        {"node": "run", "id": "x:run", "kind": "generation", "status": "running"},
        {"edge": "PRODUCED_BY", "from": "x:ds", "to": "x:run", "records": 1},
        {"edge": "USED", "from": "x:run", "to": "x:model", "role": "generator"},
    ]


def _repeats() -> list[dict[str, Any]]:
    """Later lines of the records of _firsts, each changing something."""
    return [
        {"node": "dataset", "id": "x:ds", "version": "2", "license": "Apache-2.0 OR BSD-3-Clause"},
        {"node": "model", "id": "x:model", "competes_with": [], "notices": ["a;b"]},
        {"edge": "DERIVED_FROM", "from": "x:ds", "to": "x:src", "records": 2},
        {"node": "run", "id": "x:run", "status": "succeeded"},
        {"edge": "PRODUCED_BY", "from": "x:ds", "to": "x:run", "records": 2},
        {"edge": "USED", "from": "x:run", "to": "x:model", "role": "judge"},
        {"node": "dataset", "id": "x:ds", "name": "third"},
        {"node": "dataset", "id": "x:new", "license": "MIT"},
        {"node": "dataset", "id": "x:new", "name": "again, in the same part"},
        {"node": "source", "id": "x:lines", "name": "two\nlines"},  # a multi-line row
    ]


def test_records_repeated_in_a_later_part_are_merged_as_in_one_process(
    filler: list[str], tmp_path: Path
) -> None:
    path = _file(tmp_path / "in.ndjson", _firsts(), filler, _repeats())
    assert _part_of(path, 1) == 0 and _part_of(path, len(filler) + 8) == 1
    written, summary = _same_for_any_split(path, tmp_path)
    datasets = written["nodes-dataset.csv"].decode().splitlines()
    (row,) = [r for r in datasets if r.startswith('"x:ds"')]
    assert '"third"' in row and '"2"' in row  # merged: the later lines win, field by field
    links = [r for r in written["rels-LICENSED_UNDER.csv"].decode().splitlines() if "x:ds" in r]
    assert sorted(r.split(",")[1] for r in links) == ['"Apache-2.0"', '"BSD-3-Clause"']
    assert [f["id"] for f in summary["fixups"]] == ["x:model"]
    assert "two\nlines" in written["nodes-source-multiline.csv"].decode()


def _bad_first() -> list[Any]:
    return [
        {"node": "dataset", "id": "e:a"},
        "{not json\n",
        {"node": "dataset", "id": "e:b", "colour": "red"},
    ]


def _bad_second() -> list[Any]:
    return [
        {"node": "model", "id": "e:a"},  # e:a was a dataset in the first part
        {"edge": "DERIVED_FROM", "from": "e:b", "to": "e:nowhere"},
        {"node": "source", "id": "e:big", "records": 2**70},  # not reported: errors before
        {"node": "dataset", "id": "e:c", "modality": "smell"},
        "\n",
        {"edge": "TRAINED_ON", "from": "e:a", "to": "e:a"},
    ]


def test_bad_lines_in_both_parts_give_the_errors_of_one_process(
    filler: list[str], tmp_path: Path
) -> None:
    path = _file(tmp_path / "in.ndjson", _bad_first(), filler, _bad_second())
    kind, errors = _same_for_any_split(path, tmp_path)
    assert kind == "IngestRejected"
    assert {_part_of(path, line) for line, _ in errors} == {0, 1}
    assert any("was a dataset on line 1" in reason for _, reason in errors)
    assert not any("cannot be stored" in reason for _, reason in errors)


def test_an_unstorable_value_in_a_later_part_is_reported_when_it_is_the_first_error(
    filler: list[str], tmp_path: Path
) -> None:
    path = _file(
        tmp_path / "in.ndjson",
        filler,
        [{"node": "source", "id": "u:big", "records": 2**70}, "{broken\n"],
    )
    kind, errors = _same_for_any_split(path, tmp_path)
    assert kind == "IngestRejected" and _part_of(path, errors[0][0]) == 1
    assert "cannot be stored" in errors[0][1] and "malformed JSON" in errors[1][1]


def test_a_cycle_through_both_parts_is_refused_as_in_one_process(
    filler: list[str], tmp_path: Path
) -> None:
    nodes = [{"node": "dataset", "id": f"cy:{i}"} for i in range(3)]
    first = [*nodes, {"edge": "DERIVED_FROM", "from": "cy:0", "to": "cy:1"}]
    second = [
        {"edge": "DERIVED_FROM", "from": "cy:1", "to": "cy:2"},
        {"edge": "DERIVED_FROM", "from": "cy:2", "to": "cy:0"},
    ]
    path = _file(tmp_path / "in.ndjson", first, filler, second)
    kind, (line, cycle) = _same_for_any_split(path, tmp_path)
    assert kind == "CycleRefused" and _part_of(path, line) == 1 and len(cycle) == 4


@pytest.fixture(autouse=True)
def _no_leftover_parts(tmp_path: Path) -> Iterator[None]:
    yield
    assert not list(tmp_path.glob("*/part-*"))  # the parts' files were absorbed and removed


def test_instants_are_written_in_utc_with_z(tmp_path: Path) -> None:
    """The importer parses ``Z`` about twice as fast as ``+00:00`` (the same offset to Neo4j).
    Records hold instants in UTC (a given offset is converted, as ingest stores it): the
    load's own and the given ones are all written with ``Z``."""
    records = [
        {"node": "dataset", "id": "d:a", "name": "a"},
        {"node": "dataset", "id": "d:b", "name": "b"},
        {"node": "dataset", "id": "d:c", "name": "c"},
        {"edge": "DERIVED_FROM", "from": "d:b", "to": "d:a",
         "valid_from": "2025-01-01T00:00:00+00:00"},
        {"edge": "DERIVED_FROM", "from": "d:c", "to": "d:a",
         "valid_from": "2025-01-01T02:00:00+02:00"},
    ]  # fmt: skip
    directory = tmp_path / "files"
    directory.mkdir()
    audit = WriteAudit(action="ingest", source="t.ndjson")
    write_import_files(
        _file(tmp_path / "t.ndjson", records),
        directory,
        now=NOW,
        audit=audit,
        epoch=1,
        source="t.ndjson",
    )
    nodes = (directory / "nodes-dataset.csv").read_text(encoding="utf-8")
    edges = (directory / "rels-DERIVED_FROM.csv").read_text(encoding="utf-8").splitlines()
    assert nodes.count(",2026-12-02T05:00:00Z") == 6  # created_at and updated_at of 3
    assert "+00:00" not in nodes
    assert edges[1].endswith(",2025-01-01T00:00:00Z,,,,,,")
    assert edges[2].endswith(",2025-01-01T00:00:00Z,,,,,,")  # 02:00+02:00 in UTC
    audit_row = (directory / "nodes-audit.csv").read_text(encoding="utf-8").splitlines()[1]
    assert audit_row.split(",")[1].endswith("Z")
