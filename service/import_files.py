"""Validate an NDJSON file exactly as ingest does, streaming, and write neo4j-admin import CSVs.

The bulk initial load (``service.bulk_ingest``) goes through Neo4j's offline importer, so
the graph must come out as the transactional ingest would write it: the same labels,
properties (``created_at``/``updated_at``, ``valid_from`` defaults, license links with
``declared_by``), the audit event with its ``WROTE`` links and the lineage lock's epoch.

Validation reuses the ingest's own pieces (record parsing, edge and run-edge problems, the
cycle search) against an empty graph, with the same messages and line numbers. Records are
not kept: each becomes a CSV row as it is read, and only compact arrays (id positions,
kinds, edge endpoints, line numbers) stay in memory for the whole-input checks. A node
given on several lines is merged as ingest merges it, and a repeated edge keeps its last
line: both are rare, so their rows are replaced at the end after a second look at just
those lines.

A big file is read in line-aligned parts, the later ones in processes of their own
(``read_split``); each part's state is taken in, in line order, as if its lines had been
read here (``absorb``), so the files, counts and errors are those of one process.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
import pickle
import re
import shutil
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from provgraph.service.errors import LineError
from provgraph.service.import_ranges import (
    lines_before,
    parse_processes,
    range_lines,
    split_spans,
)
from provgraph.service.ingest import (
    RISK_FIELDS,
    CycleLineError,
    EmptyGraph,
    Progress,
    cycles,
    edge_problem,
    refuse,
    run_edge_problem,
)
from provgraph.service.models import (
    EDGE_ENDPOINTS,
    EdgeKind,
    EdgeRecord,
    NodeKind,
    NodeRecord,
    RunEdgeRecord,
    RunRecord,
    license_keys,
)
from provgraph.service.ndjson import LineCounter, Record, iter_records, parse_record
from provgraph.service.security.audit import WriteAudit

__all__ = ["ARRAY_DELIMITER", "PART_BYTES", "ImportFiles", "ValueNotStorable", "write_import_files"]

_KINDS = tuple(NodeKind)
_KIND_CODE = {kind: code for code, kind in enumerate(_KINDS)}
_UNKNOWN = len(_KINDS)  # an id seen only as an edge end
_EDGE_KINDS = tuple(EdgeKind)
_EDGE_CODE = {kind: code for code, kind in enumerate(_EDGE_KINDS)}

# allowed[edge kind, child kind, parent kind]: the endpoint rule of EDGE_ENDPOINTS.
_ALLOWED = np.zeros((len(_EDGE_KINDS), _UNKNOWN + 1, _UNKNOWN + 1), dtype=bool)
for _edge, (_child, _parents) in EDGE_ENDPOINTS.items():
    for _parent in _parents:
        _ALLOWED[_EDGE_CODE[_edge], _KIND_CODE[_child], _KIND_CODE[_parent]] = True

# CSV value types of the properties that are not strings (enums and JSON are strings).
_NODE_TYPES = {"records": "long", "org_mau": "long", "human": "boolean"}
_NODE_LISTS = ("competes_with", "notices")
_EDGE_TYPES = {"records": "long", "valid_from": "datetime", "valid_to": "datetime"}
_RUN_TYPES = {"started_at": "datetime", "ended_at": "datetime"}
_RUN_EDGE_TYPES = {"records": "long"}

_CONTROL = re.compile(r"[\x00-\x1f]")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
ARRAY_DELIMITER = ";"
# The least a part of a split parse holds: a part's process takes ~1.5 s to start (a fresh
# interpreter importing this module), 32 MB take ~3 s to parse (~100 bytes, ~10 us a line).
PART_BYTES = 32 << 20
_COPY_BLOCK = 8 << 20  # bytes per copy when a part's file is appended


class ValueNotStorable(ValueError):
    """A value Neo4j cannot hold (an integer past 64 bits)."""


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _instant(value: datetime) -> str:
    """An instant as the importer reads it fastest: UTC as ``Z``, not ``+00:00``.

    Both mean the same offset to Neo4j (the stored value is identical), but the importer
    parses a ``+00:00`` offset per value: at L (5.8M datetimes, most of them the load's
    own instant) that was a third of its time (101 -> 70 s on 2026-12-03)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _Group:
    """One input group of the importer: a header and its rows.

    Rows with a line break or other control character go to a file of their own that the
    importer parses as multi-line (slow, so only those rows); they are held until
    :meth:`close`, being rare, so a repeated key can still be dropped.
    """

    def __init__(self, directory: Path, name: str, header: list[str], key_columns: int) -> None:
        self.name = name
        self.header = ",".join(header) + "\n"
        self.key_columns = key_columns
        self.path = directory / f"{name}.csv"
        self.multiline_path = directory / f"{name}-multiline.csv"
        self._handle: TextIO | None = None
        self._multiline: list[tuple[tuple[str, ...], str]] = []
        self.rows = 0

    def write(self, key: tuple[str, ...], text: str, multiline: bool) -> None:
        self.rows += 1
        if multiline:
            self._multiline.append((key, text))
            return
        if self._handle is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._handle.write(self.header)
        self._handle.write(text)

    def part(self) -> _GroupPart:
        """Close this group of one part of the input, for :meth:`absorb` elsewhere."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            return _GroupPart(self.rows, self.path, self._multiline)
        return _GroupPart(self.rows, None, self._multiline)

    def absorb(self, part: _GroupPart) -> None:
        """Append the rows of the next part of the input (its file's header skipped)."""
        self.rows += part.rows
        self._multiline += part.multiline
        if part.path is None:
            return
        if self._handle is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._handle.write(self.header)
        self._handle.flush()
        with part.path.open("rb") as source:
            source.readline()
            shutil.copyfileobj(source, self._handle.buffer, _COPY_BLOCK)
        part.path.unlink()

    def drop(self, keys: set[tuple[str, ...]]) -> None:
        """Remove the rows of ``keys`` (written before a later line replaced them)."""
        before = len(self._multiline)
        self._multiline = [(k, t) for k, t in self._multiline if k not in keys]
        self.rows -= before - len(self._multiline)
        if self._handle is None:
            return
        self._handle.close()
        kept = self.path.with_suffix(".tmp")
        with (
            self.path.open(encoding="utf-8", newline="") as source,
            kept.open("w", encoding="utf-8", newline="") as target,
        ):
            target.write(next(source))
            for line in source:
                key = tuple(next(csv.reader([line]))[: self.key_columns])
                if key in keys:
                    self.rows -= 1
                else:
                    target.write(line)
        kept.replace(self.path)
        self._handle = self.path.open("a", encoding="utf-8", newline="")

    def close(self) -> list[Path]:
        """Finish the files; returns (plain file, multi-line file) as far as they exist."""
        files: list[Path] = []
        if self._handle is not None:
            self._handle.close()
            files.append(self.path)
        if self._multiline:
            with self.multiline_path.open("w", encoding="utf-8", newline="") as handle:
                handle.write(self.header)
                handle.writelines(text for _, text in self._multiline)
            files.append(self.multiline_path)
        return files


@dataclass
class _GroupPart:
    """The rows one part of the input gave a group: a file (header first) and held rows."""

    rows: int
    path: Path | None
    multiline: list[tuple[tuple[str, ...], str]]


@dataclass
class ImportFiles:
    """The importer's inputs and what they hold."""

    nodes: list[tuple[str, Path]] = field(default_factory=list)  # (labels, file)
    relationships: list[tuple[str, Path]] = field(default_factory=list)  # (type, file)
    multiline: list[Path] = field(default_factory=list)
    lines: int = 0
    artifacts: int = 0
    runs: int = 0
    licenses: int = 0
    lineage_edges: int = 0
    license_links: int = 0
    run_edges: int = 0
    audit_links: int = 0
    properties: int = 0
    # Artifacts whose list properties CSV cannot carry exactly (empty lists, elements with
    # the array delimiter): set afterwards through upsert_artifacts, at the same instant.
    fixups: list[dict[str, Any]] = field(default_factory=list)
    conflict_ids: set[str] = field(default_factory=set)
    risk_ids: set[str] = field(default_factory=set)


class _Columns:
    """Property columns of one group: header cells and the row formatter."""

    def __init__(
        self, names: Iterable[str], types: dict[str, str], lists: tuple[str, ...] = ()
    ) -> None:
        self.names = list(names)
        self.types = {name: types.get(name, "string") for name in self.names}
        for name in lists:
            self.types[name] = "string[]"
        self.index = {name: at for at, name in enumerate(self.names)}
        # Most datetimes of a load are the load's own instant (every edge's valid_from):
        # formatting it once instead of per edge saves ~1.3 us an edge (~4 s at 2.9M).
        self._iso: dict[datetime, str] = {}

    def _isoformat(self, value: datetime) -> str:
        text = self._iso.get(value)
        if text is None:
            if len(self._iso) >= 1024:
                self._iso.clear()
            text = self._iso[value] = _instant(value)
        return text

    def header(self) -> list[str]:
        return [n if self.types[n] == "string" else f"{n}:{self.types[n]}" for n in self.names]

    def cells(self, props: dict[str, Any], awkward: dict[str, Any]) -> tuple[list[str], bool, int]:
        """CSV cells of ``props``; whether one holds a control character; how many are set.

        Lists CSV cannot carry exactly go to ``awkward`` instead (left empty here)."""
        cells = [""] * len(self.names)
        multiline = False
        count = 0
        for name, value in props.items():  # a few set fields, not every column
            at = self.index.get(name)
            if at is None:  # a model field this module does not know yet: never drop it
                raise RuntimeError(f"no import column for {name!r}")
            if value is None:
                continue
            kind = self.types[name]
            if kind == "string":
                text = str(value)
                multiline = multiline or _CONTROL.search(text) is not None
                cells[at] = _quote(text)
            elif kind == "long":
                if not _LONG_MIN <= value <= _LONG_MAX:
                    raise ValueNotStorable(f"field {name!r}: {value} does not fit in 64 bits")
                cells[at] = str(value)
            elif kind == "boolean":
                cells[at] = "true" if value else "false"
            elif kind == "datetime":
                assert isinstance(value, datetime)
                cells[at] = self._isoformat(value)
            else:  # string[]
                if not value or any(
                    not v or ARRAY_DELIMITER in v or _CONTROL.search(v) for v in value
                ):
                    awkward[name] = value
                    continue
                cells[at] = _quote(ARRAY_DELIMITER.join(value))
            count += 1
        return cells, multiline, count


_NODE_COLUMNS = _Columns(
    (f for f in NodeRecord.model_fields if f not in ("node", "id")), _NODE_TYPES, _NODE_LISTS
)
_EDGE_COLUMNS = _Columns(
    (f for f in EdgeRecord.model_fields if f not in ("edge", "from_", "to")), _EDGE_TYPES
)
_RUN_COLUMNS = _Columns((f for f in RunRecord.model_fields if f not in ("node", "id")), _RUN_TYPES)
_RUN_EDGE_COLUMNS = _Columns(
    (f for f in RunEdgeRecord.model_fields if f not in ("edge", "from_", "to")), _RUN_EDGE_TYPES
)
_STAMPS = ["created_at:datetime", "updated_at:datetime"]


class _Builder:
    def __init__(
        self, directory: Path, *, now: datetime, progress: Progress | None, part: bool = False
    ) -> None:
        self.directory = directory
        # One later part of a split input (another process): whatever depends on the lines
        # before it (repeats, the first error) is left to the builder that absorbs it.
        self.part = part
        self.now = now
        self.now_text = _instant(now)
        self.progress = progress
        self.errors: list[LineError] = []
        self.files = ImportFiles()
        # Every id seen (as a node or an edge end) has a position; kinds by position.
        self.position: dict[str, int] = {}
        self.names: list[str] = []
        self.kind = bytearray()
        self.node_line = array("q")
        self.node_repeats: dict[str, list[int]] = {}
        self.child = array("q")
        self.parent = array("q")
        self.edge_kind = bytearray()
        self.edge_line = array("q")
        self.run_line: dict[str, int] = {}
        self.run_repeats: dict[str, list[int]] = {}
        self.run_edge_records: list[tuple[int, RunEdgeRecord]] = []
        self.run_edge_last: dict[tuple[str, str, str], int] = {}
        self.license_uses: Counter[str] = Counter()
        self.fixups: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, _Group] = {}
        self.labels: dict[str, str] = {}
        # A part's later lines of a node id (line, position, kind code) and its rows that
        # raised ValueNotStorable: judged when absorbed.
        self.later_nodes: list[tuple[int, int, int]] = []
        self.unstorable: list[LineError] = []
        # Lines of absorbed parts whose row was written although an earlier part had the
        # record (the part could not know): settle_repeats takes those rows back.
        self.cross_nodes: list[tuple[int, str]] = []
        self.cross_runs: list[int] = []
        self.cross_run_edges: list[int] = []
        self.types: dict[str, str] = {}
        node_header = ["id:ID(Artifact)", *_NODE_COLUMNS.header(), *_STAMPS]
        for kind in _KINDS:
            self._group(f"nodes-{kind.value}", f"Artifact:{kind.label}", node_header, 1)
        for edge_kind in _EDGE_KINDS:
            header = [":START_ID(Artifact)", ":END_ID(Artifact)", *_EDGE_COLUMNS.header()]
            self._group(f"rels-{edge_kind.value}", edge_kind.value, header, 2, relationship=True)
        links = [":START_ID(Artifact)", ":END_ID(License)", "valid_from:datetime", "declared_by"]
        self._group("rels-LICENSED_UNDER", "LICENSED_UNDER", links, 2, relationship=True)
        self._group("nodes-run", "Run", ["id:ID(Run)", *_RUN_COLUMNS.header(), *_STAMPS], 1)
        run_edge = [*_RUN_EDGE_COLUMNS.header(), "valid_from:datetime"]
        self._group(
            "rels-PRODUCED_BY",
            "PRODUCED_BY",
            [":START_ID(Artifact)", ":END_ID(Run)", *run_edge],
            2,
            relationship=True,
        )
        self._group(
            "rels-USED", "USED", [":START_ID(Run)", ":END_ID(Artifact)", *run_edge], 2, True
        )

    def _group(
        self, name: str, target: str, header: list[str], keys: int, relationship: bool = False
    ) -> None:
        self.groups[name] = _Group(self.directory, name, header, keys)
        (self.types if relationship else self.labels)[name] = target

    # ------------------------------------------------------------------ reading
    def read(self, path: Path, span: tuple[int, int] | None = None, first_line: int = 1) -> None:
        """Read ``path``, or the lines in the byte range ``span`` (numbered from
        ``first_line``)."""
        counter = LineCounter()
        counter.lines = first_line - 1
        report: Callable[[int], None] | None = None
        if self.progress is not None:
            progress = self.progress
            report = lambda n: progress("parse", n, None)  # noqa: E731
        unstorable = self.unstorable if self.part else self.errors
        with path.open("rb") as handle:
            lines = handle if span is None else range_lines(handle, *span)
            for line, record in iter_records(
                lines, self.errors, counter=counter, progress=report, first_line=first_line
            ):
                try:
                    self._record(line, record)
                except ValueNotStorable as exc:
                    unstorable.append(LineError(line, f"a value cannot be stored: {exc}"))
        self.files.lines = counter.lines

    def _record(self, line: int, record: Record) -> None:
        if isinstance(record, NodeRecord):
            self._node(line, record)
        elif isinstance(record, EdgeRecord):
            self._edge(line, record)
        elif isinstance(record, RunRecord):
            self._run(line, record)
        else:
            self._run_edge(line, record)

    def _at(self, artifact_id: str) -> int:
        at = self.position.get(artifact_id)
        if at is None:
            at = self.position[artifact_id] = len(self.names)
            self.names.append(artifact_id)
            self.kind.append(_UNKNOWN)
            self.node_line.append(0)
        return at

    def _node(self, line: int, node: NodeRecord) -> None:
        at = self._at(node.id)
        node_id = self.names[at]
        self.files.conflict_ids.add(node_id)
        if any(getattr(node, f) is not None for f in RISK_FIELDS):
            self.files.risk_ids.add(node_id)
        code = _KIND_CODE[node.node]
        if self.kind[at] != _UNKNOWN:
            if self.part:  # an earlier part may hold the first line of this id
                self.later_nodes.append((line, at, code))
            else:
                self._repeat_node(line, at, code)
            return
        self.kind[at] = code
        self.node_line[at] = line
        if self.part or not self.errors:
            self._write_node(node_id, node)

    def _repeat_node(self, line: int, at: int, code: int) -> None:
        node_id = self.names[at]
        if self.kind[at] != code:
            seen = _KINDS[self.kind[at]].value
            self.errors.append(
                LineError(line, f"id {node_id!r} was a {seen} on line {self.node_line[at]}")
            )
        else:  # merged at the end, as ingest merges later lines into earlier ones
            self.node_repeats.setdefault(node_id, []).append(line)

    def _node_row(self, node_id: str, node: NodeRecord) -> tuple[str, bool, int, dict[str, Any]]:
        """The CSV row of a node, whether it is multi-line, its property count (without
        license links) and the lists CSV cannot carry."""
        awkward: dict[str, Any] = {}
        props = node.properties()
        del props["id"]
        cells, multiline, count = _NODE_COLUMNS.cells(props, awkward)
        text = ",".join([_quote(node_id), *cells, self.now_text, self.now_text]) + "\n"
        return text, multiline, count + 3 + len(awkward), awkward

    def _write_node(self, node_id: str, node: NodeRecord) -> None:
        text, multiline, count, awkward = self._node_row(node_id, node)
        self.groups[f"nodes-{node.node.value}"].write((node_id,), text, multiline)
        self.files.properties += count
        if awkward:
            self.fixups[node_id] = {"id": node_id, "label": node.node.label, "props": awkward}
        else:
            self.fixups.pop(node_id, None)
        if node.license is not None:
            links = self.groups["rels-LICENSED_UNDER"]
            for license_id in license_keys(node.license):
                self.license_uses[license_id] += 1
                row = f'{_quote(node_id)},{_quote(license_id)},{self.now_text},"ingest"\n'
                links.write((node_id, license_id), row, _CONTROL.search(license_id) is not None)
                self.files.properties += 2

    def _edge(self, line: int, edge: EdgeRecord) -> None:
        child, parent = self._at(edge.from_), self._at(edge.to)
        self.child.append(child)
        self.parent.append(parent)
        self.edge_kind.append(_EDGE_CODE[edge.edge])
        self.edge_line.append(line)  # its child joins conflict_ids and risk_ids in finish()
        # Rows are only worth writing while the load can still succeed; a part cannot know.
        if self.part or not self.errors:
            self._write_edge(self.names[child], self.names[parent], edge)

    def _write_edge(self, child: str, parent: str, edge: EdgeRecord) -> None:
        props = edge.properties()
        props["valid_from"] = edge.valid_from or self.now
        if edge.valid_to is not None:
            props["valid_to"] = edge.valid_to
        cells, multiline, count = _EDGE_COLUMNS.cells(props, {})
        text = ",".join([_quote(child), _quote(parent), *cells]) + "\n"
        self.groups[f"rels-{edge.edge.value}"].write((child, parent), text, multiline)
        self.files.properties += count

    def _run(self, line: int, run: RunRecord) -> None:
        if run.id in self.run_line:
            self.run_repeats.setdefault(run.id, []).append(line)
            return
        self.run_line[run.id] = line
        if self.part or not self.errors:
            self._write_run(run)

    def _run_row(self, run: RunRecord) -> tuple[str, bool, int]:
        props = run.properties()
        del props["id"]
        cells, multiline, count = _RUN_COLUMNS.cells(props, {})
        text = ",".join([_quote(run.id), *cells, self.now_text, self.now_text]) + "\n"
        return text, multiline, count + 2

    def _write_run(self, run: RunRecord) -> None:
        text, multiline, count = self._run_row(run)
        self.groups["nodes-run"].write((run.id,), text, multiline)
        self.files.properties += count

    def _run_edge(self, line: int, edge: RunEdgeRecord) -> None:
        self.run_edge_records.append((line, edge))
        key = (edge.from_, edge.to, edge.edge.value)
        repeated = key in self.run_edge_last
        self.run_edge_last[key] = line
        if (self.part or not self.errors) and not repeated:
            self._write_run_edge(edge)

    def _run_edge_row(self, edge: RunEdgeRecord) -> tuple[str, bool, int]:
        props = edge.properties()
        props_cells, multiline, count = _RUN_EDGE_COLUMNS.cells(props, {})
        text = ",".join([_quote(edge.from_), _quote(edge.to), *props_cells, self.now_text])
        return text + "\n", multiline, count + 1

    def _write_run_edge(self, edge: RunEdgeRecord) -> None:
        text, multiline, count = self._run_edge_row(edge)
        self.groups[f"rels-{edge.edge.value}"].write((edge.from_, edge.to), text, multiline)
        self.files.properties += count

    # ------------------------------------------------------------------ split inputs
    def result(self) -> _Part:
        """What this part read, for the builder of the lines before it."""
        return _Part(
            lines=self.files.lines,
            errors=self.errors,
            unstorable=self.unstorable,
            names=self.names,
            kind=bytes(self.kind),
            node_line=self.node_line.tobytes(),
            later_nodes=self.later_nodes,
            child=self.child.tobytes(),
            parent=self.parent.tobytes(),
            edge_kind=bytes(self.edge_kind),
            edge_line=self.edge_line.tobytes(),
            run_line=self.run_line,
            run_repeats=self.run_repeats,
            run_edge_records=self.run_edge_records,
            license_uses=self.license_uses,
            fixups=self.fixups,
            properties=self.files.properties,
            conflicts=self._positions(self.files.conflict_ids),
            risks=self._positions(self.files.risk_ids),
            groups={name: group.part() for name, group in self.groups.items()},
        )

    def _positions(self, ids: set[str]) -> bytes:
        # Ids as positions: an eighth of the bytes between processes, no second string.
        found = np.fromiter(map(self.position.__getitem__, ids), dtype=np.int64, count=len(ids))
        return found.tobytes()

    def absorb(self, part: _Part) -> None:
        """Take in the next part of the input as if its lines had been read here."""
        self.errors += part.errors
        mapping = np.fromiter(map(self._at, part.names), dtype=np.int64, count=len(part.names))
        kinds = np.frombuffer(part.kind, dtype=np.uint8)
        first_lines = np.frombuffer(part.node_line, dtype=np.int64)
        repeats: list[tuple[int, int, int]] = []  # (line, position, kind) in line order
        cross: set[int] = set()
        for local in np.flatnonzero(kinds != _UNKNOWN).tolist():
            at, code, line = int(mapping[local]), int(kinds[local]), int(first_lines[local])
            if self.kind[at] == _UNKNOWN:
                self.kind[at] = code
                self.node_line[at] = line
            else:  # the part wrote this node, a repeat of an earlier part's
                repeats.append((line, at, code))
                self.cross_nodes.append((line, self.names[at]))
                cross.add(line)
        repeats += [(line, int(mapping[local]), code) for line, local, code in part.later_nodes]
        for line, at, code in sorted(repeats):
            self._repeat_node(line, at, code)
        crossed = {self.names[at] for line, at, _ in repeats if line in cross}
        for node_id, fixup in part.fixups.items():
            if node_id not in crossed:
                self.fixups[node_id] = fixup

        self.child.frombytes(mapping[np.frombuffer(part.child, dtype=np.int64)].tobytes())
        self.parent.frombytes(mapping[np.frombuffer(part.parent, dtype=np.int64)].tobytes())
        self.edge_kind += part.edge_kind
        self.edge_line.frombytes(part.edge_line)

        run_repeats = [
            (line, run_id) for run_id, lines in part.run_repeats.items() for line in lines
        ]
        for run_id, line in part.run_line.items():
            if run_id in self.run_line:
                run_repeats.append((line, run_id))
                self.cross_runs.append(line)
                cross.add(line)
            else:
                self.run_line[run_id] = line
        for line, run_id in sorted(run_repeats):
            self.run_repeats.setdefault(run_id, []).append(line)
        seen: set[tuple[str, str, str]] = set()
        for line, edge in part.run_edge_records:
            key = (edge.from_, edge.to, edge.edge.value)
            if key not in seen:
                seen.add(key)
                if key in self.run_edge_last:
                    self.cross_run_edges.append(line)
                    cross.add(line)
            self.run_edge_last[key] = line
        self.run_edge_records += part.run_edge_records

        self.license_uses.update(part.license_uses)
        self.files.properties += part.properties
        for ids, positions in (
            (self.files.conflict_ids, part.conflicts),
            (self.files.risk_ids, part.risks),
        ):
            at = mapping[np.frombuffer(positions, dtype=np.int64)].tolist()
            ids.update(map(self.names.__getitem__, at))
        for name, group_part in part.groups.items():
            self.groups[name].absorb(group_part)
        # Read here, a repeat's row is never written, so it cannot fail.
        self.unstorable += [e for e in part.unstorable if e.line not in cross]
        self.files.lines = part.lines

    def settle_unstorable(self) -> None:
        """Read in one piece, rows stop being written at the first error: so of the parts'
        unstorable rows only the first counts, and only if no other error comes before it."""
        if not self.unstorable:
            return
        first = min(self.unstorable, key=lambda e: e.line)
        if all(first.line < e.line for e in self.errors):
            self.errors.append(first)

    def read_split(self, path: Path, spans: list[tuple[int, int]]) -> None:
        """Read the first span here and each later one in a process of its own."""
        # spawn, not fork: the caller may run threads (a driver, a server).
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(len(spans) - 1, mp_context=context) as pool:
            futures = [
                pool.submit(_read_part, path, span, self.directory / f"part-{at}", self.now)
                for at, span in enumerate(spans[1:], start=1)
            ]
            self.read(path, spans[0])
            for at, future in enumerate(futures, start=1):
                self.absorb(_load_part(future.result()))
                shutil.rmtree(self.directory / f"part-{at}")
        self.settle_unstorable()

    # ------------------------------------------------------------------ whole-input checks
    def check(self, source: str) -> None:
        if self.progress is not None:
            self.progress("check", 0, None)
        kinds = np.frombuffer(self.kind, dtype=np.uint8)
        child = np.frombuffer(self.child, dtype=np.int64)
        parent = np.frombuffer(self.parent, dtype=np.int64)
        edge_kind = np.frombuffer(self.edge_kind, dtype=np.uint8)
        lines = np.frombuffer(self.edge_line, dtype=np.int64)
        valid = _ALLOWED[edge_kind, kinds[child], kinds[parent]]
        for i in np.flatnonzero(~valid):
            c, p = self.names[child[i]], self.names[parent[i]]
            known = {
                n: _KINDS[kinds[at]]
                for n, at in ((c, child[i]), (p, parent[i]))
                if kinds[at] != _UNKNOWN
            }
            problem = edge_problem(_EDGE_KINDS[edge_kind[i]], c, p, known)
            self.errors.append(LineError(int(lines[i]), problem or "invalid edge"))
        self._cycles(child[valid], parent[valid], edge_kind[valid], lines[valid])
        for line, edge in self.run_edge_records:
            at = self.position.get(edge.artifact_id)
            known = (
                {edge.artifact_id: _KINDS[kinds[at]]}
                if at is not None and kinds[at] != _UNKNOWN
                else {}
            )
            problem = run_edge_problem(edge, has_run=edge.run_id in self.run_line, kinds=known)
            if problem:
                self.errors.append(LineError(line, problem))
        self.errors.sort(key=lambda e: e.line)
        if self.errors:
            refuse(self.errors, source=source)

    def _cycles(
        self, child: np.ndarray, parent: np.ndarray, edge_kind: np.ndarray, lines: np.ndarray
    ) -> None:
        """The cycle check at C speed; only edges inside a strong component (none in a DAG)
        go through ingest's own search, so the refusal reads as ingest's would."""
        n = len(self.names)
        if not child.size:
            return
        matrix = sp.csr_matrix((np.ones(child.size, dtype=np.int8), (child, parent)), (n, n))
        count, label = connected_components(matrix, directed=True, connection="strong")
        if count == n:
            return
        sizes = np.bincount(label)
        inside = (label[child] == label[parent]) & (sizes[label[child]] > 1)
        edges: dict[tuple[str, str, str], tuple[int, None]] = {}
        for i in np.flatnonzero(inside):
            key = (self.names[child[i]], self.names[parent[i]], _EDGE_KINDS[edge_kind[i]].value)
            edges[key] = (int(lines[i]), None)  # the last line of a repeated edge, as ingest
        for line, path in cycles(EmptyGraph(), edges, {}, drop=False):
            self.errors.append(CycleLineError(line, path))

    # ------------------------------------------------------------------ repeated records
    def settle_repeats(self, path: Path) -> None:
        """Merge nodes and runs given on several lines; keep the last line of an edge."""
        child = np.frombuffer(self.child, dtype=np.int64)
        parent = np.frombuffer(self.parent, dtype=np.int64)
        edge_kind = np.frombuffer(self.edge_kind, dtype=np.uint8)
        lines = np.frombuffer(self.edge_line, dtype=np.int64)
        keys = (child * len(self.names) + parent) * len(_EDGE_KINDS) + edge_kind
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
        # The last occurrence (highest line) of each repeated key.
        last_edges = {int(ordered[i]): int(order[i + 1]) for i in repeated}
        run_edges = {key: line for key, line in self.run_edge_last.items()}
        repeated_run_edges = {
            key
            for key, count in Counter(
                (e.from_, e.to, e.edge.value) for _, e in self.run_edge_records
            ).items()
            if count > 1
        }
        if not (self.node_repeats or self.run_repeats or last_edges or repeated_run_edges):
            return
        wanted: set[int] = set()
        for node_id, extra in self.node_repeats.items():
            wanted.add(int(self.node_line[self.position[node_id]]))
            wanted.update(extra)
        for run_id, extra in self.run_repeats.items():
            wanted.add(self.run_line[run_id])
            wanted.update(extra)
        wanted.update(int(lines[i]) for i in last_edges.values())
        wanted.update(run_edges[key] for key in repeated_run_edges)
        wanted.update(line for line, _ in self.cross_nodes)
        wanted.update(self.cross_runs + self.cross_run_edges)
        records = _read_lines(path, wanted)
        self._take_back(records)

        for node_id, extra in self.node_repeats.items():
            first = records[int(self.node_line[self.position[node_id]])]
            assert isinstance(first, NodeRecord)
            merged = first
            for line in extra:
                later = records[line]
                merged = merged.model_copy(update=later.model_dump(exclude_unset=True))
            kind_group = self.groups[f"nodes-{first.node.value}"]
            kind_group.drop({(node_id,)})
            if first.license is not None:
                first_keys = license_keys(first.license)
                self.groups["rels-LICENSED_UNDER"].drop({(node_id, k) for k in first_keys})
                self.license_uses.subtract(first_keys)
            self._write_node(node_id, merged)
        for run_id, extra in self.run_repeats.items():
            merged_run = records[self.run_line[run_id]]
            for line in extra:
                later = records[line]
                merged_run = merged_run.model_copy(update=later.model_dump(exclude_unset=True))
            assert isinstance(merged_run, RunRecord)
            self.groups["nodes-run"].drop({(run_id,)})
            self._write_run(merged_run)
        for i in last_edges.values():
            edge = records[int(lines[i])]
            assert isinstance(edge, EdgeRecord)
            self.groups[f"rels-{edge.edge.value}"].drop({(edge.from_, edge.to)})
            self._write_edge(edge.from_, edge.to, edge)
        for key in repeated_run_edges:
            run_edge = records[run_edges[key]]
            assert isinstance(run_edge, RunEdgeRecord)
            self.groups[f"rels-{run_edge.edge.value}"].drop({(run_edge.from_, run_edge.to)})
            self._write_run_edge(run_edge)

    def _take_back(self, records: dict[int, Record]) -> None:
        """Undo what a part's rows for repeats of earlier parts' records counted; the rows
        themselves go with the first rows of their keys below. A row that raised
        ValueNotStorable was never written."""
        links: set[tuple[str, ...]] = set()
        for line, node_id in self.cross_nodes:
            node = records[line]
            assert isinstance(node, NodeRecord)
            with contextlib.suppress(ValueNotStorable):
                self.files.properties -= self._node_row(node_id, node)[2]
                if node.license is not None:
                    keys = license_keys(node.license)
                    links.update((node_id, key) for key in keys)
                    self.license_uses.subtract(keys)
                    self.files.properties -= 2 * len(keys)
        if links:
            self.groups["rels-LICENSED_UNDER"].drop(links)
        for line in self.cross_runs:
            run = records[line]
            assert isinstance(run, RunRecord)
            with contextlib.suppress(ValueNotStorable):
                self.files.properties -= self._run_row(run)[2]
        for line in self.cross_run_edges:
            run_edge = records[line]
            assert isinstance(run_edge, RunEdgeRecord)
            with contextlib.suppress(ValueNotStorable):
                self.files.properties -= self._run_edge_row(run_edge)[2]

    # ------------------------------------------------------------------ bookkeeping, files
    def finish(self, *, audit: WriteAudit, epoch: int) -> ImportFiles:
        files = self.files
        # Once per child instead of two set additions per edge line.
        children = np.unique(np.frombuffer(self.child, dtype=np.int64)).tolist()
        files.conflict_ids.update(map(self.names.__getitem__, children))
        files.risk_ids.update(map(self.names.__getitem__, children))
        artifact_ids = [n for n, k in zip(self.names, self.kind, strict=True) if k != _UNKNOWN]
        licenses = sorted(k for k, uses in self.license_uses.items() if uses > 0)
        self._group("nodes-license", "License", ["id:ID(License)"], 1)
        for license_id in licenses:
            row = _quote(license_id) + "\n"
            self.groups["nodes-license"].write((license_id,), row, bool(_CONTROL.search(row[:-1])))
        if artifact_ids or self.child:  # as ingest: a write of artifacts or lineage is audited
            header = [
                "id:ID(AuditEvent)",
                "at:datetime",
                "action",
                "source",
                "via",
                "actor",
                "token_id",
                "run",
            ]
            self._group("nodes-audit", "AuditEvent", header, 1)
            actor = audit.actor
            row = ",".join(
                [_quote(audit.id), _instant(audit.at)]
                + [_quote(v) for v in (audit.action, audit.source, actor.via, actor.name)]
                + [_quote(v) if v is not None else "" for v in (actor.token_id, actor.run)]
            )
            self.groups["nodes-audit"].write((audit.id,), row + "\n", bool(_CONTROL.search(row)))
            wrote = [":START_ID(AuditEvent)", ":END_ID(Artifact)"]
            self._group("rels-WROTE", "WROTE", wrote, 2, relationship=True)
            event = _quote(audit.id)
            for artifact_id in artifact_ids:
                row = f"{event},{_quote(artifact_id)}\n"
                self.groups["rels-WROTE"].write((audit.id, artifact_id), row, False)
            files.audit_links = len(artifact_ids)
        lock = ["id:ID(ProvgraphLock)", "held_at:datetime", "epoch:long"]
        self._group("nodes-lock", "ProvgraphLock", lock, 1)
        self.groups["nodes-lock"].write(("lineage",), f'"lineage",{self.now_text},{epoch}\n', False)

        for name, group in self.groups.items():
            rows = group.rows
            paths = group.close()
            if name in self.labels:
                files.nodes += [(self.labels[name], p) for p in paths]
            else:
                files.relationships += [(self.types[name], p) for p in paths]
            files.multiline += [p for p in paths if p.name.endswith("-multiline.csv")]
            if name.startswith("nodes-") and name[6:] in {k.value for k in _KINDS}:
                files.artifacts += rows
            elif name == "nodes-run":
                files.runs = rows
            elif name == "nodes-license":
                files.licenses = rows
            elif name == "rels-LICENSED_UNDER":
                files.license_links = rows
            elif name in ("rels-PRODUCED_BY", "rels-USED"):
                files.run_edges += rows
            elif name.startswith("rels-") and name[5:] in {k.value for k in _EDGE_KINDS}:
                files.lineage_edges += rows
        files.fixups = list(self.fixups.values())
        return files


@dataclass
class _Part:
    """What one part of a split input gave (positions are the part's own)."""

    lines: int
    errors: list[LineError]
    unstorable: list[LineError]
    names: list[str]
    kind: bytes
    node_line: bytes
    later_nodes: list[tuple[int, int, int]]
    child: bytes
    parent: bytes
    edge_kind: bytes
    edge_line: bytes
    run_line: dict[str, int]
    run_repeats: dict[str, list[int]]
    run_edge_records: list[tuple[int, RunEdgeRecord]]
    license_uses: Counter[str]
    fixups: dict[str, dict[str, Any]]
    properties: int
    conflicts: bytes  # positions of conflict_ids, risk_ids
    risks: bytes
    groups: dict[str, _GroupPart]


def _read_part(path: Path, span: tuple[int, int], directory: Path, now: datetime) -> Path:
    """Read one later part of a split input (in a process of its own); returns the file
    its :class:`_Part` is pickled in (streamed both ways: no copy of it in memory)."""
    directory.mkdir()
    builder = _Builder(directory, now=now, progress=None, part=True)
    builder.read(path, span, first_line=lines_before(path, span[0]) + 1)
    result = builder.result()
    del builder
    target = directory / "part.pickle"
    with target.open("wb") as handle:
        pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return target


def _load_part(path: Path) -> _Part:
    with path.open("rb") as handle:
        part = pickle.load(handle)
    assert isinstance(part, _Part)
    return part


def _read_lines(path: Path, wanted: set[int]) -> dict[int, Record]:
    """The records on the ``wanted`` lines (already validated once)."""
    found: dict[int, Record] = {}
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number in wanted:
                found[number] = parse_record(json.loads(raw))
    return found


def write_import_files(
    path: Path,
    directory: Path,
    *,
    now: datetime,
    audit: WriteAudit,
    epoch: int,
    source: str,
    progress: Progress | None = None,
    processes: int | None = None,
    part_bytes: int = PART_BYTES,
) -> ImportFiles:
    """Validate ``path`` as an all-or-nothing ingest would (raising the same errors) and
    write the importer's CSV files into ``directory``.

    The parse runs in up to ``processes`` processes (default: the usable cores), each on
    a line-aligned part of at least ``part_bytes``; the result is the same either way."""
    builder = _Builder(directory, now=now, progress=progress)
    spans = split_spans(path, processes or parse_processes(), part_bytes)
    if len(spans) > 1:
        builder.read_split(path, spans)
    else:
        builder.read(path)
    builder.check(source)
    builder.settle_repeats(path)
    return builder.finish(audit=audit, epoch=epoch)
