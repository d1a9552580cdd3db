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
"""

from __future__ import annotations

import csv
import json
import re
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from provgraph.service.errors import LineError
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

__all__ = ["ARRAY_DELIMITER", "ImportFiles", "ValueNotStorable", "write_import_files"]

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


class ValueNotStorable(ValueError):
    """A value Neo4j cannot hold (an integer past 64 bits)."""


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


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
            text = self._iso[value] = value.isoformat()
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
    def __init__(self, directory: Path, *, now: datetime, progress: Progress | None) -> None:
        self.directory = directory
        self.now = now
        self.now_text = now.isoformat()
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
    def read(self, path: Path) -> None:
        counter = LineCounter()
        report: Callable[[int], None] | None = None
        if self.progress is not None:
            progress = self.progress
            report = lambda n: progress("parse", n, None)  # noqa: E731
        with path.open("rb") as handle:
            for line, record in iter_records(handle, self.errors, counter=counter, progress=report):
                try:
                    self._record(line, record)
                except ValueNotStorable as exc:
                    self.errors.append(LineError(line, f"a value cannot be stored: {exc}"))
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
            artifact_id = sys.intern(artifact_id)
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
            if self.kind[at] != code:
                seen = _KINDS[self.kind[at]].value
                self.errors.append(
                    LineError(line, f"id {node_id!r} was a {seen} on line {self.node_line[at]}")
                )
            else:  # merged at the end, as ingest merges later lines into earlier ones
                self.node_repeats.setdefault(node_id, []).append(line)
            return
        self.kind[at] = code
        self.node_line[at] = line
        if not self.errors:
            self._write_node(node_id, node)

    def _write_node(self, node_id: str, node: NodeRecord) -> None:
        awkward: dict[str, Any] = {}
        props = node.properties()
        del props["id"]
        cells, multiline, count = _NODE_COLUMNS.cells(props, awkward)
        text = ",".join([_quote(node_id), *cells, self.now_text, self.now_text]) + "\n"
        self.groups[f"nodes-{node.node.value}"].write((node_id,), text, multiline)
        self.files.properties += count + 3 + len(awkward)
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
        self.edge_line.append(line)
        self.files.conflict_ids.add(self.names[child])
        self.files.risk_ids.add(self.names[child])
        if not self.errors:
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
        if not self.errors:
            self._write_run(run)

    def _write_run(self, run: RunRecord) -> None:
        props = run.properties()
        del props["id"]
        cells, multiline, count = _RUN_COLUMNS.cells(props, {})
        text = ",".join([_quote(run.id), *cells, self.now_text, self.now_text]) + "\n"
        self.groups["nodes-run"].write((run.id,), text, multiline)
        self.files.properties += count + 2

    def _run_edge(self, line: int, edge: RunEdgeRecord) -> None:
        self.run_edge_records.append((line, edge))
        key = (edge.from_, edge.to, edge.edge.value)
        repeated = key in self.run_edge_last
        self.run_edge_last[key] = line
        if not self.errors and not repeated:
            self._write_run_edge(edge)

    def _write_run_edge(self, edge: RunEdgeRecord) -> None:
        props = edge.properties()
        props_cells, multiline, count = _RUN_EDGE_COLUMNS.cells(props, {})
        text = ",".join([_quote(edge.from_), _quote(edge.to), *props_cells, self.now_text])
        group = self.groups[f"rels-{edge.edge.value}"]
        group.write((edge.from_, edge.to), text + "\n", multiline)
        self.files.properties += count + 1

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
        records = _read_lines(path, wanted)

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

    # ------------------------------------------------------------------ bookkeeping, files
    def finish(self, *, audit: WriteAudit, epoch: int) -> ImportFiles:
        files = self.files
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
                [_quote(audit.id), audit.at.isoformat()]
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
) -> ImportFiles:
    """Validate ``path`` as an all-or-nothing ingest would (raising the same errors) and
    write the importer's CSV files into ``directory``."""
    builder = _Builder(directory, now=now, progress=progress)
    builder.read(path)
    builder.check(source)
    builder.settle_repeats(path)
    return builder.finish(audit=audit, epoch=epoch)
