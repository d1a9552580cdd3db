"""Load NDJSON (or already validated records) into the graph: validate everything, then write.

All-or-nothing by default: every line is checked (schema, kinds, dangling edges, edge
endpoint kinds, cycles against the file *and* the graph) before anything is written, and
one bad line rejects the file. ``skip_invalid`` loads the valid lines and reports the rest.
Writes are idempotent ``MERGE``s in ``UNWIND`` batches, so re-loading a file changes no count
and a re-run after an interrupted load completes it. Inputs up to ``SINGLE_TX_ELEMENTS``
are written in one transaction; larger ones batch by batch.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from provgraph.service.dag import Digraph, find_cycle
from provgraph.service.errors import (
    CycleRefused,
    IngestRejected,
    IngestTooLarge,
    LineError,
    LineTooLong,
    ProvgraphError,
)
from provgraph.service.models import (
    EDGE_ENDPOINTS,
    LINEAGE_EDGE_KINDS,
    AlertsSummary,
    EdgeKind,
    EdgeRecord,
    IngestReport,
    NodeKind,
    NodeRecord,
    RunEdgeRecord,
    RunRecord,
    license_keys,
)
from provgraph.service.ndjson import ParsedInput, parse_lines
from provgraph.service.security.audit import WriteAudit
from provgraph.service.store import Store, Tx, WriteCounts

__all__ = ["Progress", "ingest_lines", "ingest_records"]

log = logging.getLogger(__name__)

BATCH_SIZE = 5_000
SINGLE_TX_ELEMENTS = 20_000
LOOKUP_CHUNK = 10_000
REACH_CHUNK = 1_000  # variable-length expansions: fewer starts per transaction
T = TypeVar("T")

Progress = Callable[[str, int, int | None], None]
"""progress(phase, done, total): phases are 'parse', 'check', 'write'."""


EdgeKey = tuple[str, str, str]
V = TypeVar("V")


class GraphLookups(Protocol):
    """What the whole-input check asks the stored graph (see _TxLookups, _ChunkedLookups)."""

    def kinds(self, ids: list[str]) -> dict[str, NodeKind]: ...
    def stored_edges(self, keys: list[EdgeKey]) -> set[EdgeKey]: ...
    def reachable(self, starts: list[str], targets: list[str]) -> list[tuple[str, str]]: ...
    def witness(self, child: str, parent: str) -> list[str]: ...
    def run_ids(self, ids: list[str]) -> set[str]: ...


class _TxLookups:
    """Lookups inside one transaction (small inputs: checked and written atomically)."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def kinds(self, ids: list[str]) -> dict[str, NodeKind]:
        rows = self.tx.run("artifact_kinds", ids=ids)
        return {row["id"]: NodeKind(row["kind"]) for row in rows}

    def stored_edges(self, keys: list[EdgeKey]) -> set[EdgeKey]:
        batch = [{"from": f, "to": t, "type": k} for f, t, k in keys]
        rows = self.tx.run("existing_lineage_edges", edges=batch)
        return {(r["from"], r["to"], r["type"]) for r in rows}

    def reachable(self, starts: list[str], targets: list[str]) -> list[tuple[str, str]]:
        rows = self.tx.run("reachable_pairs", starts=starts, targets=targets)
        return [(row["from"], row["to"]) for row in rows]

    def witness(self, child: str, parent: str) -> list[str]:
        rows = self.tx.run(
            "witness_path",
            {"from": child, "to": parent},
            edge_kinds=list(LINEAGE_EDGE_KINDS),
            as_of=None,
        )
        return list(rows[0]["ids"]) if rows else [child, parent]

    def run_ids(self, ids: list[str]) -> set[str]:
        return {row["id"] for row in self.tx.run("run_ids", ids=ids)}


class _ChunkedLookups:
    """Large inputs: every lookup chunk in a read transaction of its own, so no single
    transaction of a million-id check runs into the query time limit."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _read(self, work: Callable[[_TxLookups], T]) -> T:
        return self.store.read(lambda tx: work(_TxLookups(tx)))

    def kinds(self, ids: list[str]) -> dict[str, NodeKind]:
        return self._read(lambda lookups: lookups.kinds(ids))

    def stored_edges(self, keys: list[EdgeKey]) -> set[EdgeKey]:
        return self._read(lambda lookups: lookups.stored_edges(keys))

    def reachable(self, starts: list[str], targets: list[str]) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for start in range(0, len(starts), REACH_CHUNK):
            part = starts[start : start + REACH_CHUNK]

            def chunk(lookups: _TxLookups, part: list[str] = part) -> list[tuple[str, str]]:
                return lookups.reachable(part, targets)

            found += self._read(chunk)
        return found

    def witness(self, child: str, parent: str) -> list[str]:
        return self._read(lambda lookups: lookups.witness(child, parent))

    def run_ids(self, ids: list[str]) -> set[str]:
        return self._read(lambda lookups: lookups.run_ids(ids))


class EmptyGraph:
    """The lookups of a database known to hold no artifacts, runs or lineage (bulk import)."""

    def kinds(self, ids: list[str]) -> dict[str, NodeKind]:
        return {}

    def stored_edges(self, keys: list[EdgeKey]) -> set[EdgeKey]:
        return set()

    def reachable(self, starts: list[str], targets: list[str]) -> list[tuple[str, str]]:
        return []

    def witness(self, child: str, parent: str) -> list[str]:
        return [child, parent]

    def run_ids(self, ids: list[str]) -> set[str]:
        return set()


@dataclass
class _Plan:
    nodes: dict[str, tuple[int, NodeRecord]]
    edges: dict[tuple[str, str, str], tuple[int, EdgeRecord]]
    runs: dict[str, tuple[int, RunRecord]]
    run_edges: dict[tuple[str, str, str], tuple[int, RunEdgeRecord]]


def ingest_lines(
    store: Store,
    lines: Iterable[str | bytes],
    *,
    source: str = "input",
    skip_invalid: bool = False,
    progress: Progress | None = None,
    alerts: bool = True,
) -> IngestReport:
    """Parse, validate and load NDJSON lines; then re-check license conflicts downstream."""
    with _collector_paused():  # not around the conflict check: that one builds cycles
        parsed = parse_lines(
            lines, progress=(lambda n: progress("parse", n, None)) if progress else None
        )
        report = _ingest(store, parsed, source=source, skip_invalid=skip_invalid, progress=progress)
    return with_alerts(store, report, *_alert_targets(parsed)) if alerts else report


class _CollectorPause:
    """Pause CPython's cyclic garbage collector while loads run (nesting and thread safe).

    A bulk load keeps millions of small records alive; every generation-2 collection walks
    all of them, which made parsing 3.5x slower on the 100k-node benchmark file (17 -> 5 us
    a line). The records hold no reference cycles, so reference counting still frees them;
    the collector is back on (if it was on) when the last load ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._active == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0 and self._was_enabled:
                    gc.enable()


_collector_paused = _CollectorPause()


def ingest_records(
    store: Store,
    nodes: Iterable[NodeRecord] = (),
    edges: Iterable[EdgeRecord] = (),
    *,
    source: str = "api",
    runs: Iterable[RunRecord] = (),
    run_edges: Iterable[RunEdgeRecord] = (),
) -> IngestReport:
    """Load validated records (the API's single-artifact and single-edge writes, runs)."""
    parsed = ParsedInput()
    parsed.nodes = list(enumerate(nodes, start=1))
    parsed.edges = list(enumerate(edges, start=len(parsed.nodes) + 1))
    parsed.runs = list(enumerate(runs, start=len(parsed.nodes) + len(parsed.edges) + 1))
    parsed.run_edges = list(
        enumerate(run_edges, start=len(parsed.nodes) + len(parsed.edges) + len(parsed.runs) + 1)
    )
    parsed.lines = len(parsed.nodes) + len(parsed.edges) + len(parsed.runs) + len(parsed.run_edges)
    report = _ingest(store, parsed, source=source, skip_invalid=False, progress=None)
    return with_alerts(store, report, *_alert_targets(parsed))


# Node fields the synthetic-data figures read; lineage edges are the rest of their input.
RISK_FIELDS = ("records", "human", "vendor", "family")


def _alert_targets(parsed: ParsedInput) -> tuple[set[str], set[str]]:
    """What a write can change the alerts of: (license conflicts, synthetic-data risk).

    Conflicts: the written nodes and the children of written lineage edges. Risk: the
    children of written lineage edges and nodes given a field the figures read (other
    writes, a license or a name, cannot move a figure)."""
    children = {e.from_ for _, e in parsed.edges}
    conflict_ids = {n.id for _, n in parsed.nodes} | children
    risk_ids = children | {
        n.id for _, n in parsed.nodes if any(getattr(n, f) is not None for f in RISK_FIELDS)
    }
    return conflict_ids, risk_ids


def with_alerts(
    store: Store, report: IngestReport, conflict_ids: set[str], risk_ids: set[str]
) -> IngestReport:
    """Re-check license conflicts of what the write touched and everything downstream,
    then the synthetic-data risk findings (service.risk_alerts).

    The write has committed: if the check fails, say so and let a full scan catch up.
    """
    from provgraph.service.alerts import refresh_conflicts

    touched = sorted(conflict_ids)
    if not touched:
        return report
    try:
        result = refresh_conflicts(store, touched)
    except ProvgraphError as exc:
        log.warning("conflict check after the write failed: %s", exc.detail)
        summary = AlertsSummary(evaluated=False, reason="error", detail=exc.detail)
    else:
        summary = AlertsSummary(
            evaluated=result.evaluated,
            reason=result.reason,
            detail=result.detail,
            affected=result.affected,
            opened=len(result.opened),
            resolved=len(result.resolved),
            deliveries_queued=result.deliveries_queued,
        )
    return report.model_copy(update={"alerts": _with_risk_alerts(store, summary, risk_ids)})


def _with_risk_alerts(store: Store, summary: AlertsSummary, risk_ids: set[str]) -> AlertsSummary:
    """Synthetic-data risk findings of the touched artifacts and their descendants."""
    from provgraph.service.risk_alerts import refresh_risk_alerts

    touched = sorted(risk_ids)
    if not touched:
        return summary
    try:
        risk = refresh_risk_alerts(store, touched)
    except ProvgraphError as exc:
        log.warning("risk check after the write failed: %s", exc.detail)
        return summary.model_copy(
            update={"risk_evaluated": False, "risk_reason": "error", "risk_detail": exc.detail}
        )
    return summary.model_copy(
        update={
            "risk_evaluated": risk.evaluated,
            "risk_reason": risk.reason,
            "risk_detail": risk.detail,
            "risk_opened": len(risk.opened),
            "risk_resolved": len(risk.resolved),
            "deliveries_queued": summary.deliveries_queued + risk.deliveries_queued,
        }
    )


def _ingest(
    store: Store,
    parsed: ParsedInput,
    *,
    source: str,
    skip_invalid: bool,
    progress: Progress | None,
) -> IngestReport:
    now = datetime.now(UTC)
    audit = WriteAudit(action="ingest", source=source)

    def checked(lookups: GraphLookups) -> tuple[_Plan, list[LineError]]:
        errors = list(parsed.errors)
        plan = _check(lookups, parsed, errors, skip_invalid=skip_invalid, progress=progress)
        errors.sort(key=lambda e: e.line)
        if errors and not skip_invalid:
            refuse(errors, source=source)
        return plan, errors

    elements = len(parsed.nodes) + len(parsed.edges) + len(parsed.runs) + len(parsed.run_edges)
    if elements <= SINGLE_TX_ELEMENTS:
        # One transaction: take the lineage lock, check against the graph as it is now,
        # write. Concurrent writers are serialised, so none can slip a cycle in between.
        def check_and_write(tx: Tx) -> tuple[_Plan, list[LineError]]:
            tx.run("lock_lineage", now=now)
            plan, errors = checked(_TxLookups(tx))
            for name, rows in _steps(plan):
                tx.run(name, rows=rows, now=now)
            if plan.nodes or plan.edges:
                audit.record(tx, _written_ids(plan))
            return plan, errors

        (plan, errors), counts = store.write(check_and_write)
        if progress is not None:
            written = _size(plan)
            progress("write", written, written)
    else:
        plan, errors = checked(_ChunkedLookups(store))
        counts = _write_batches(store, plan, now=now, audit=audit, progress=progress)
    return IngestReport(
        source=source,
        lines=parsed.lines,
        nodes=len(plan.nodes) + len(plan.runs),
        edges=len(plan.edges) + len(plan.run_edges),
        skipped=[{"line": e.line, "reason": e.reason} for e in errors],
        nodes_created=counts.nodes_created,
        relationships_created=counts.relationships_created,
        properties_set=counts.properties_set,
    )


def refuse(errors: list[LineError], *, source: str) -> None:
    """Raise the error an all-or-nothing load gives for ``errors`` (sorted by line)."""
    cycles = [e for e in errors if isinstance(e, CycleLineError)]
    if len(cycles) == len(errors) == 1:
        raise CycleRefused(cycles[0].path, line=cycles[0].line)
    if any(isinstance(e, LineTooLong) for e in errors):
        raise IngestTooLarge(errors, source=source)
    raise IngestRejected(errors, source=source)


class CycleLineError(LineError):
    """A line error that also carries the cycle's path."""

    path: list[str]

    def __init__(self, line: int, path: list[str]) -> None:
        super().__init__(line, "edge closes a lineage cycle: " + " -> ".join(path))
        object.__setattr__(self, "path", path)


def _check(
    lookups: GraphLookups,
    parsed: ParsedInput,
    errors: list[LineError],
    *,
    skip_invalid: bool,
    progress: Progress | None,
) -> _Plan:
    """Everything that needs the whole input or the graph; bad lines go to ``errors``."""
    nodes: dict[str, tuple[int, NodeRecord]] = {}
    for line, node in parsed.nodes:
        seen = nodes.get(node.id)
        if seen is not None and seen[1].node != node.node:
            errors.append(
                LineError(line, f"id {node.id!r} was a {seen[1].node.value} on line {seen[0]}")
            )
            continue
        if seen is not None:  # later lines update earlier ones, as a re-ingest would
            merged = seen[1].model_copy(update=node.model_dump(exclude_unset=True))
            nodes[node.id] = (seen[0], merged)
        else:
            nodes[node.id] = (line, node)

    wanted = set(nodes) | {e.from_ for _, e in parsed.edges} | {e.to for _, e in parsed.edges}
    wanted |= {e.artifact_id for _, e in parsed.run_edges}
    existing = _existing_kinds(lookups, sorted(wanted), progress)
    for node_id, (line, node) in list(nodes.items()):
        stored = existing.get(node_id)
        if stored is not None and stored != node.node:
            errors.append(
                LineError(line, f"id {node_id!r} is already a {stored.value} in the graph")
            )
            del nodes[node_id]

    kinds = {**existing, **{node_id: rec.node for node_id, (_, rec) in nodes.items()}}
    edges: dict[tuple[str, str, str], tuple[int, EdgeRecord]] = {}
    for line, edge in parsed.edges:
        problem = edge_problem(edge.edge, edge.from_, edge.to, kinds)
        if problem:
            errors.append(LineError(line, problem))
            continue
        edges[(edge.from_, edge.to, edge.edge.value)] = (line, edge)

    for line, path in cycles(lookups, edges, existing, drop=skip_invalid):
        errors.append(CycleLineError(line, path))
    runs, run_edges = _check_runs(lookups, parsed, kinds, errors)
    return _Plan(nodes=nodes, edges=edges, runs=runs, run_edges=run_edges)


def _check_runs(
    lookups: GraphLookups, parsed: ParsedInput, kinds: dict[str, NodeKind], errors: list[LineError]
) -> tuple[dict[str, tuple[int, RunRecord]], dict[tuple[str, str, str], tuple[int, RunEdgeRecord]]]:
    """Runs merge like nodes; a run edge needs its run and its artifact (input or graph)."""
    runs: dict[str, tuple[int, RunRecord]] = {}
    for line, run in parsed.runs:
        seen = runs.get(run.id)
        if seen is not None:
            merged = seen[1].model_copy(update=run.model_dump(exclude_unset=True))
            runs[run.id] = (seen[0], merged)
        else:
            runs[run.id] = (line, run)
    wanted = sorted({e.run_id for _, e in parsed.run_edges} - set(runs))
    stored = lookups.run_ids(wanted) if wanted else set()
    run_edges: dict[tuple[str, str, str], tuple[int, RunEdgeRecord]] = {}
    for line, edge in parsed.run_edges:
        problem = run_edge_problem(
            edge, has_run=edge.run_id in runs or edge.run_id in stored, kinds=kinds
        )
        if problem:
            errors.append(LineError(line, problem))
            continue
        run_edges[(edge.from_, edge.to, edge.edge.value)] = (line, edge)
    return runs, run_edges


def run_edge_problem(
    edge: RunEdgeRecord, *, has_run: bool, kinds: Mapping[str, NodeKind]
) -> str | None:
    """Why a run edge cannot be written (its run or its artifact is missing), or None."""
    problems = []
    if not has_run:
        problems.append(f"run {edge.run_id!r} is neither in this input nor in the graph")
    if edge.artifact_id not in kinds:
        problems.append(f"artifact {edge.artifact_id!r} is neither in this input nor in the graph")
    if problems:
        return f"dangling {edge.edge.value} edge: " + "; ".join(problems)
    return None


def _size(plan: _Plan) -> int:
    return len(plan.nodes) + len(plan.edges) + len(plan.runs) + len(plan.run_edges)


def edge_problem(kind: EdgeKind, from_: str, to: str, kinds: Mapping[str, NodeKind]) -> str | None:
    """Why a lineage edge cannot be written (a dangling end, wrong end kinds), or None."""
    missing = [end for end in (from_, to) if end not in kinds]
    if missing:
        names = " and ".join(repr(m) for m in missing)
        return f"dangling edge: {names} is neither in this input nor in the graph"
    child_kind, parent_kinds = EDGE_ENDPOINTS[kind]
    child, parent = kinds[from_], kinds[to]
    if child != child_kind or parent not in parent_kinds:
        allowed = " or ".join(sorted(k.value for k in parent_kinds))
        return (
            f"{kind.value} goes from a {child_kind.value} to a {allowed}, "
            f"not from a {child.value} ({from_!r}) to a {parent.value} ({to!r})"
        )
    return None


def _existing_kinds(
    lookups: GraphLookups, ids: list[str], progress: Progress | None
) -> dict[str, NodeKind]:
    found: dict[str, NodeKind] = {}
    if progress is not None:
        progress("check", 0, len(ids))  # the phase starts now, not after the first chunk
    for start in range(0, len(ids), LOOKUP_CHUNK):
        found.update(lookups.kinds(ids[start : start + LOOKUP_CHUNK]))
        if progress is not None:
            progress("check", min(start + LOOKUP_CHUNK, len(ids)), len(ids))
    return found


def cycles(
    lookups: GraphLookups,
    edges: dict[EdgeKey, tuple[int, V]],
    existing: Mapping[str, NodeKind],
    *,
    drop: bool,
) -> list[tuple[int, list[str]]]:
    """Cycles the new edges would close, with the line of the closing edge and the path.

    Existing lineage between endpoints already in the graph enters as shortcut edges
    (tag None); when ``drop`` is set, the latest-line edge of each cycle is removed and the
    search repeats, so the remaining edges form a DAG.
    """
    both_stored = [key for key in edges if key[0] in existing and key[1] in existing]
    stored = _stored_edges(lookups, both_stored)
    new_edges = {key: value for key, value in edges.items() if key not in stored}
    graph: Digraph[str] = Digraph()
    for (child, parent, _), (line, _) in new_edges.items():
        graph.add(child, parent, line)
    # Only a new edge out of an artifact already stored can meet a stored path back to it.
    starts = sorted({p for (_, p, _) in new_edges if p in existing})
    targets = sorted({c for (c, _, _) in new_edges if c in existing})
    if starts and targets:
        for reached_from, reached in lookups.reachable(starts, targets):
            graph.add(reached_from, reached, None)

    found: list[tuple[int, list[str]]] = []
    while True:
        components = graph.strongly_connected()
        if not components:
            return found
        for component in components:
            cycle = find_cycle(graph, component)
            lines = [tag for (_, _, tag) in cycle if isinstance(tag, int)]
            closing = max(lines)
            # Rotate so the path starts at the closing edge's child and reads as written.
            at = next(i for i, (_, _, tag) in enumerate(cycle) if tag == closing)
            ordered = cycle[at:] + cycle[:at]
            path = [ordered[0][0]]
            for child, parent, tag in ordered:
                if tag is None:
                    path.extend(lookups.witness(child, parent)[1:])
                else:
                    path.append(parent)
            found.append((closing, path))
            edge_key = next(k for k, (line, _) in edges.items() if line == closing)
            graph.remove(edge_key[0], edge_key[1], closing)
            del edges[edge_key]
        if not drop:
            # One cycle per component is enough to refuse the input; stop here.
            return found


def _stored_edges(lookups: GraphLookups, keys: list[EdgeKey]) -> set[EdgeKey]:
    found: set[EdgeKey] = set()
    for start in range(0, len(keys), LOOKUP_CHUNK):
        found |= lookups.stored_edges(keys[start : start + LOOKUP_CHUNK])
    return found


def _steps(plan: _Plan) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The write as (query name, batch of rows): nodes, license links, runs, edges, run edges.

    Rows are built one batch at a time: holding every row of a million-node load at once
    (each with its own property map) doubled the loader's memory."""
    nodes = sorted(plan.nodes.items())
    licensed = [(node_id, rec) for node_id, (_, rec) in nodes if rec.license is not None]
    runs = sorted(plan.runs.items())
    edges = [rec for _, (_, rec) in sorted(plan.edges.items())]
    run_edges = [rec for _, (_, rec) in sorted(plan.run_edges.items())]
    for start in range(0, len(nodes), BATCH_SIZE):
        yield (
            "upsert_artifacts",
            [
                {"id": node_id, "label": rec.node.label, "props": rec.properties()}
                for node_id, (_, rec) in nodes[start : start + BATCH_SIZE]
            ],
        )
    for start in range(0, len(licensed), BATCH_SIZE):
        yield (
            "link_licenses",
            [
                {"id": node_id, "licenses": license_keys(rec.license or "")}
                for node_id, rec in licensed[start : start + BATCH_SIZE]
            ],
        )
    for start in range(0, len(runs), BATCH_SIZE):
        yield (
            "upsert_runs",
            [
                {"id": run_id, "props": rec.properties()}
                for run_id, (_, rec) in runs[start : start + BATCH_SIZE]
            ],
        )
    for start in range(0, len(edges), BATCH_SIZE):
        yield (
            "upsert_lineage_edges",
            [
                {
                    "from": rec.from_,
                    "to": rec.to,
                    "type": rec.edge.value,
                    "props": rec.properties(),
                    "valid_from": rec.valid_from,
                    "valid_to": rec.valid_to,
                }
                for rec in edges[start : start + BATCH_SIZE]
            ],
        )
    for start in range(0, len(run_edges), BATCH_SIZE):
        yield (
            "upsert_run_edges",
            [
                {"from": rec.from_, "to": rec.to, "type": rec.edge.value, "props": rec.properties()}
                for rec in run_edges[start : start + BATCH_SIZE]
            ],
        )


def _step_rows(plan: _Plan) -> int:
    licensed = sum(1 for _, rec in plan.nodes.values() if rec.license is not None)
    return _size(plan) + licensed


def _written_ids(plan: _Plan, rows: list[dict[str, Any]] | None = None) -> list[str]:
    """The artifacts a write touched, for the audit trail: its nodes and edge children."""
    if rows is None:
        return sorted(set(plan.nodes) | {child for (child, _, _) in plan.edges})
    return sorted({str(row["from"] if "from" in row else row["id"]) for row in rows})


def _write_batches(
    store: Store, plan: _Plan, *, now: datetime, audit: WriteAudit, progress: Progress | None
) -> WriteCounts:
    """Large inputs: one transaction per batch, each under the lineage lock.

    The input was checked as a whole beforehand; a writer that adds lineage between the
    same artifacts while a multi-batch load runs is not checked against it.
    """
    steps = _steps(plan)
    total = _step_rows(plan)
    counts = WriteCounts()
    done = 0
    for name, rows in steps:

        def work(tx: Tx, name: str = name, rows: list[dict[str, Any]] = rows) -> None:
            tx.run("lock_lineage", now=now)
            tx.run(name, rows=rows, now=now)
            audit.record(tx, _written_ids(plan, rows))

        _, step_counts = store.write(work)
        counts.merge(step_counts)
        done += len(rows)
        if progress is not None:
            progress("write", done, total)
    return counts
