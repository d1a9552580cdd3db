"""Record a generation or training run in a few lines::

    from provgraph import sdk

    recorder = sdk.Recorder(sdk.HttpSink("http://127.0.0.1:8000"))
    with recorder.run("run:synth-1", kind="generation", params={"temperature": 0.7}) as run:
        model = run.uses_model("local:markov-1", vendor="Acme", family="markov")
        seeds = run.uses_source("src:seed-questions", human=True, records=100)
        ...                                   # generate
        run.produces_dataset("ds:synth-1", records=1000,
                             generated_by={model: 900}, derived_from={seeds: 100})

Every call emits one event at once (so a crash loses nothing recorded before it): the run
starts ``running``, inputs become ``USED`` edges, outputs ``PRODUCED_BY`` edges plus their
lineage edges (``GENERATED_BY``, ``DERIVED_FROM``, ``TRAINED_ON``, ``FINE_TUNED_FROM``)
carrying the run id. Leaving the block marks the run ``succeeded``, or ``failed`` with the
exception's message when the block raised (the exception propagates).
"""

from __future__ import annotations

import contextvars
import functools
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from provgraph.sdk.errors import SinkNotConfigured
from provgraph.sdk.events import new_event
from provgraph.sdk.manifest import ManifestWriter
from provgraph.sdk.sinks import HttpSink, Neo4jSink, NullSink, Sink
from provgraph.service.models import (
    EdgeKind,
    EdgeRecord,
    NodeKind,
    NodeRecord,
    RunEdgeKind,
    RunEdgeRecord,
    RunKind,
    RunRecord,
    RunStatus,
)
from provgraph.service.ndjson import Record, parse_record

__all__ = ["Recorder", "Run", "current_run", "sink_from_env"]

P = ParamSpec("P")
R = TypeVar("R")
_current: contextvars.ContextVar[Run | None] = contextvars.ContextVar("provgraph_run", default=None)

Weights = Mapping[str, int | None] | list[str] | tuple[str, ...] | None


def _weights(value: Weights) -> dict[str, int | None]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return dict.fromkeys(value)


def sink_from_env(env: Mapping[str, str] | None = None) -> Sink:
    """The sink the environment names; raises ``SinkNotConfigured`` rather than guess.

    ``PROVGRAPH_DISABLED=1``: drop events. ``PROVGRAPH_URL``: the API at that URL
    (``PROVGRAPH_TOKEN``: its bearer token; ``PROVGRAPH_SPOOL`` names the spool file).
    ``PROVGRAPH_SINK=neo4j``: Neo4j directly
    (``NEO4J_URI``..., or the managed local server).
    """
    env = os.environ if env is None else env
    if env.get("PROVGRAPH_DISABLED", "").lower() in {"1", "true", "yes"}:
        return NullSink()
    spool = env.get("PROVGRAPH_SPOOL") or None
    if env.get("PROVGRAPH_URL"):
        return HttpSink(env["PROVGRAPH_URL"], spool=spool, token=env.get("PROVGRAPH_TOKEN"))
    if env.get("PROVGRAPH_SINK", "").lower() == "neo4j":
        return Neo4jSink(spool=spool)
    raise SinkNotConfigured(
        "no provenance sink: pass one (HttpSink, Neo4jSink, NdjsonFileSink, MemorySink), set "
        "PROVGRAPH_URL or PROVGRAPH_SINK=neo4j, or PROVGRAPH_DISABLED=1 to record nothing"
    )


def _node(kind: NodeKind, node_id: str, fields: Mapping[str, Any]) -> NodeRecord:
    """A node record, or ``InvalidInput`` naming the bad field (as ingest would)."""
    record = parse_record({**fields, "node": kind.value, "id": node_id})
    assert isinstance(record, NodeRecord)
    return record


def _lineage(data: Mapping[str, Any]) -> EdgeRecord:
    record = parse_record(dict(data))
    assert isinstance(record, EdgeRecord)
    return record


def current_run() -> Run | None:
    """The run of the innermost ``Recorder.run`` block or ``Recorder.track`` call."""
    return _current.get()


class Recorder:
    """Emits a run's records to one sink. ``Recorder()`` reads the sink from the environment."""

    def __init__(self, sink: Sink | None = None) -> None:
        self.sink = sink if sink is not None else sink_from_env()

    def emit(self, records: list[Record], *, run_id: str | None = None) -> None:
        """The one verb: send records as one event (all or nothing at the receiver)."""
        self.sink.emit(new_event(records, run_id=run_id))

    @contextmanager
    def run(
        self,
        run_id: str | None = None,
        *,
        kind: RunKind | str = RunKind.GENERATION,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Iterator[Run]:
        run = Run(self, run_id or f"run:{uuid.uuid4()}", RunKind(kind), name, dict(params or {}))
        run.start()
        token = _current.set(run)
        try:
            yield run
        except BaseException as exc:
            run.finish(exc)
            raise
        else:
            run.finish(None)
        finally:
            _current.reset(token)

    def track(
        self,
        kind: RunKind | str = RunKind.GENERATION,
        *,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """Decorator: each call of the function is one run (``current_run()`` inside it)."""

        def wrap(function: Callable[P, R]) -> Callable[P, R]:
            @functools.wraps(function)
            def call(*args: P.args, **kwargs: P.kwargs) -> R:
                with self.run(kind=kind, name=name or function.__qualname__, params=params):
                    return function(*args, **kwargs)

            return call

        return wrap

    def flush(self) -> int:
        return self.sink.flush()

    def close(self) -> None:
        self.sink.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Run:
    """One run being recorded. Ids are returned so they can be passed on as inputs."""

    def __init__(
        self,
        recorder: Recorder,
        run_id: str,
        kind: RunKind,
        name: str | None,
        params: dict[str, Any],
    ) -> None:
        self.recorder = recorder
        self.id = run_id
        self.kind = kind
        self.name = name
        self.params = params
        self.status = RunStatus.RUNNING
        self.manifest: ManifestWriter | None = None

    def _emit(self, records: list[Record]) -> None:
        self.recorder.emit(records, run_id=self.id)

    def start(self) -> None:
        self._emit(
            [
                RunRecord(
                    node="run",
                    id=self.id,
                    kind=self.kind,
                    name=self.name,
                    status=RunStatus.RUNNING,
                    started_at=datetime.now(UTC),
                    params=self.params or None,
                    recorded_by="provgraph-sdk",
                )
            ]
        )

    def finish(self, error: BaseException | None) -> None:
        self.status = RunStatus.FAILED if error is not None else RunStatus.SUCCEEDED
        message = f"{type(error).__name__}: {error}"[:2000] if error is not None else None
        self._emit(
            [
                RunRecord(
                    node="run",
                    id=self.id,
                    status=self.status,
                    ended_at=datetime.now(UTC),
                    error=message,
                )
            ]
        )

    # ------------------------------------------------------------ inputs

    def _uses(self, node: NodeRecord, role: str, records: int | None = None) -> str:
        edge = RunEdgeRecord.model_validate(
            {
                "edge": RunEdgeKind.USED,
                "from": self.id,
                "to": node.id,
                "role": role,
                "records": records,
            }
        )
        self._emit([node, edge])
        return node.id

    def uses_model(self, model_id: str, *, role: str = "generator", **fields: Any) -> str:
        """A model the run uses (a generator, or the base model of a training run)."""
        return self._uses(_node(NodeKind.MODEL, model_id, fields), role)

    def uses_dataset(
        self, dataset_id: str, *, role: str = "seed", used_records: int | None = None, **fields: Any
    ) -> str:
        """A dataset the run reads (seeds, prompts, training data)."""
        node = _node(NodeKind.DATASET, dataset_id, fields)
        return self._uses(node, role, used_records)

    def uses_source(self, source_id: str, *, role: str = "seed", **fields: Any) -> str:
        """A non-dataset origin, e.g. human-written seeds (``human=True``)."""
        return self._uses(_node(NodeKind.SOURCE, source_id, fields), role)

    # ------------------------------------------------------------ records

    def record_manifest(self, path: str | os.PathLike[str]) -> ManifestWriter:
        """A Parquet manifest of this run's generated records (one row per record)."""
        self.manifest = ManifestWriter(path, run_id=self.id)
        return self.manifest

    # ------------------------------------------------------------ outputs

    def _produced(self, node: NodeRecord, lineage: list[EdgeRecord]) -> str:
        produced = RunEdgeRecord.model_validate(
            {"edge": RunEdgeKind.PRODUCED_BY, "from": node.id, "to": self.id}
        )
        records: list[Record] = [node, produced, *lineage]
        self._emit(records)
        return node.id

    def _edge(
        self, kind: EdgeKind, child: str, parent: str, records: int | None, **extra: Any
    ) -> EdgeRecord:
        data = {"edge": kind.value, "from": child, "to": parent, "run": self.id, **extra}
        if records is not None:
            data["records"] = records
        return _lineage({k: v for k, v in data.items() if v is not None})

    def produces_dataset(
        self,
        dataset_id: str,
        *,
        generated_by: Weights = None,
        derived_from: Weights = None,
        prompt_template: str | None = None,
        transform: str | None = None,
        manifest: ManifestWriter | None = None,
        **fields: Any,
    ) -> str:
        """The run's output dataset and where its records came from: ``generated_by`` and
        ``derived_from`` map parent ids to record counts (None when unknown). With a
        manifest, it is closed, counts missing from ``generated_by`` are taken from it, and
        the run records its location and sha256."""
        generators = _weights(generated_by)
        if manifest is not None:
            summary = manifest.close(dataset_id)
            for generator, count in summary.by_generator.items():
                if generators.get(generator) is None:
                    generators[generator] = count
            fields.setdefault("records", summary.rows)
            self.recorder.emit(
                [
                    RunRecord(
                        node="run",
                        id=self.id,
                        manifest=summary.uri,
                        manifest_sha256=summary.sha256,
                    )
                ],
                run_id=self.id,
            )
        node = _node(NodeKind.DATASET, dataset_id, fields)
        edges = [
            self._edge(EdgeKind.GENERATED_BY, dataset_id, m, n, prompt_template=prompt_template)
            for m, n in generators.items()
        ] + [
            self._edge(EdgeKind.DERIVED_FROM, dataset_id, d, n, transform=transform)
            for d, n in _weights(derived_from).items()
        ]
        return self._produced(node, edges)

    def produces_model(
        self,
        model_id: str,
        *,
        trained_on: Weights = None,
        fine_tuned_from: str | None = None,
        method: str | None = None,
        **fields: Any,
    ) -> str:
        """The run's output model: ``trained_on`` maps datasets (or sources) to records."""
        node = _node(NodeKind.MODEL, model_id, fields)
        edges = [
            self._edge(EdgeKind.TRAINED_ON, model_id, d, n) for d, n in _weights(trained_on).items()
        ]
        if fine_tuned_from is not None:
            edges.append(
                self._edge(EdgeKind.FINE_TUNED_FROM, model_id, fine_tuned_from, None, method=method)
            )
        return self._produced(node, edges)
