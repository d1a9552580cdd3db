"""provgraph's SDK: record synthesis and training runs as provenance, in a few lines.

::

    from provgraph import sdk

    with sdk.Recorder(sdk.HttpSink("http://127.0.0.1:8000")) as recorder:
        with recorder.run("run:synth-1", kind="generation") as run:
            model = run.uses_model("local:markov-1", vendor="Acme", family="markov")
            run.produces_dataset("ds:synth-1", records=1000, generated_by={model: 1000})

One verb (``Recorder.emit``), explicit sinks (``HttpSink``, ``Neo4jSink``,
``NdjsonFileSink``, ``MemorySink``); ``Recorder()`` without a sink reads ``PROVGRAPH_URL``
or ``PROVGRAPH_SINK=neo4j`` and raises ``SinkNotConfigured`` when neither is set, unless
``PROVGRAPH_DISABLED=1``. Durable sinks spool to a local file while the receiver is down.
"""

from provgraph.sdk.errors import EventRejected, SdkError, SinkNotConfigured
from provgraph.sdk.events import Event, new_event
from provgraph.sdk.manifest import ManifestSummary, ManifestWriter, record_hash
from provgraph.sdk.recorder import Recorder, Run, current_run, sink_from_env
from provgraph.sdk.sinks import (
    HttpSink,
    MemorySink,
    NdjsonFileSink,
    Neo4jSink,
    NullSink,
    Sink,
    default_spool_path,
)
from provgraph.sdk.spool import Spool, TransientFailure

__all__ = [
    "Event",
    "EventRejected",
    "HttpSink",
    "ManifestSummary",
    "ManifestWriter",
    "MemorySink",
    "NdjsonFileSink",
    "Neo4jSink",
    "NullSink",
    "Recorder",
    "Run",
    "SdkError",
    "Sink",
    "SinkNotConfigured",
    "Spool",
    "TransientFailure",
    "current_run",
    "default_spool_path",
    "new_event",
    "record_hash",
    "sink_from_env",
]
