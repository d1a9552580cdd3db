"""The SDK against a real API process: kill it mid-run, and no event is lost or duplicated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_server import ApiServer
from conftest import free_port

from provgraph import sdk
from provgraph.service.security.audit import artifact_audit
from provgraph.service.security.tokens import Scope, create_token, revoke_token
from provgraph.service.settings import Settings
from provgraph.service.store import Store


@pytest.fixture()
def api(neo4j_settings: Settings, tmp_path: Path) -> Iterator[ApiServer]:
    server = ApiServer(neo4j_settings, free_port(), tmp_path / "api.log")
    server.start()
    yield server
    server.stop()


def relationship_counts(store: Store, ns: str) -> dict[tuple[str, str, str], int]:
    with store._driver.session(database=store.database) as session:
        rows = session.run(
            "MATCH (a)-[r]->(b) WHERE a.id STARTS WITH $ns AND b.id STARTS WITH $ns "
            "RETURN a.id AS a, type(r) AS t, b.id AS b, count(r) AS n",
            ns=ns,
        ).data()
    return {(r["a"], r["t"], r["b"]): r["n"] for r in rows}


def node_ids(store: Store, ns: str) -> list[str]:
    with store._driver.session(database=store.database) as session:
        rows = session.run("MATCH (n) WHERE n.id STARTS WITH $ns RETURN n.id AS id", ns=ns)
        return sorted(r["id"] for r in rows)


class RecordingHttpSink(sdk.HttpSink):
    """An HttpSink that also remembers what it was asked to emit (to replay it)."""

    def __init__(self, url: str, **options: object) -> None:
        super().__init__(url, **options)  # type: ignore[arg-type]
        self.seen: list[sdk.Event] = []

    def emit(self, event: sdk.Event) -> None:
        self.seen.append(event)
        super().emit(event)


def test_killing_the_api_mid_run_loses_no_event(
    api: ApiServer, store: Store, ns: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.ndjson"
    sink = RecordingHttpSink(api.url, spool=spool, retry_after=0)
    recorder = sdk.Recorder(sink)
    with recorder.run(f"{ns}run", kind="generation", params={"n": 3}) as run:
        model = run.uses_model(f"{ns}gen", vendor="Acme", family="markov")
        assert node_ids(store, ns) == [f"{ns}gen", f"{ns}run"]  # delivered at once

        api.kill()  # SIGKILL: no graceful shutdown
        seeds = run.uses_source(f"{ns}seeds", human=True, records=3)
        run.produces_dataset(
            f"{ns}out", records=12, generated_by={model: 9}, derived_from={seeds: 3}
        )
        assert sink.pending() == 2 and spool.exists()
        assert node_ids(store, ns) == [f"{ns}gen", f"{ns}run"]

        api.start()  # back: the next event flushes the spool first, in order
    assert not spool.exists()
    assert node_ids(store, ns) == sorted([f"{ns}gen", f"{ns}out", f"{ns}run", f"{ns}seeds"])
    assert relationship_counts(store, ns) == {
        (f"{ns}out", "DERIVED_FROM", f"{ns}seeds"): 1,
        (f"{ns}out", "GENERATED_BY", f"{ns}gen"): 1,
        (f"{ns}out", "PRODUCED_BY", f"{ns}run"): 1,
        (f"{ns}run", "USED", f"{ns}gen"): 1,
        (f"{ns}run", "USED", f"{ns}seeds"): 1,
    }
    detail = httpx.get(f"{api.url}/api/v1/artifacts/{ns}out").json()
    assert detail["records"] == 12
    with store._driver.session(database=store.database) as session:
        status = session.run("MATCH (r:Run {id: $id}) RETURN r.status AS s", id=f"{ns}run")
        assert status.single()["s"] == "succeeded"  # the end came after the replayed events

    # Every event delivered once more, in order (a crash after sending, before the spool was
    # cut): nothing changes, and the replayed start does not reopen the finished run.
    before = relationship_counts(store, ns)
    assert len(sink.seen) == 5
    for event in sink.seen:
        sink._send(event)
    assert relationship_counts(store, ns) == before
    with store._driver.session(database=store.database) as session:
        status = session.run("MATCH (r:Run {id: $id}) RETURN r.status AS s", id=f"{ns}run")
        assert status.single()["s"] == "succeeded"
    recorder.close()


def test_events_spooled_while_the_api_was_down_flush_on_close(
    api: ApiServer, store: Store, ns: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.ndjson"
    api.kill()
    sink = sdk.HttpSink(api.url, spool=spool, retry_after=60)
    with sdk.Recorder(sink) as recorder:
        with recorder.run(f"{ns}run", kind="training") as run:
            data = run.uses_dataset(f"{ns}d", records=4, role="training-data")
            run.produces_model(f"{ns}m", trained_on={data: 4}, family="markov")
        assert sink.pending() == 4 and node_ids(store, ns) == []
        api.start()
    assert not spool.exists()  # close() flushed, whatever retry_after says
    assert relationship_counts(store, ns) == {
        (f"{ns}m", "TRAINED_ON", f"{ns}d"): 1,
        (f"{ns}m", "PRODUCED_BY", f"{ns}run"): 1,
        (f"{ns}run", "USED", f"{ns}d"): 1,
    }


def test_an_invalid_event_is_rejected_not_spooled(api: ApiServer, ns: str, tmp_path: Path) -> None:
    spool = tmp_path / "spool.ndjson"
    sink = sdk.HttpSink(api.url, spool=spool)
    recorder = sdk.Recorder(sink)
    with pytest.raises(sdk.EventRejected, match="dangling"), recorder.run(f"{ns}run") as run:
        run.produces_dataset(f"{ns}out", generated_by={f"{ns}never-declared": 3})
    assert not spool.exists()
    recorder.close()


@pytest.fixture()
def guarded_api(neo4j_settings: Settings, tmp_path: Path) -> Iterator[ApiServer]:
    server = ApiServer(neo4j_settings, free_port(), tmp_path / "api.log")
    server.env["PROVGRAPH_AUTH"] = "on"  # as when serving beyond loopback
    server.start()
    yield server
    server.stop()


def test_a_token_refused_keeps_the_events_spooled_until_a_valid_one_delivers_them(
    guarded_api: ApiServer, store: Store, ns: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.ndjson"
    reader = create_token(store, f"{ns}reader", [Scope.READ])
    writer = create_token(store, f"{ns}writer", [Scope.WRITE])
    try:
        pending = []
        for refused in (None, reader.token):  # 401 without a token, 403 with a read token
            sink = sdk.HttpSink(guarded_api.url, spool=spool, retry_after=0, token=refused)
            with sdk.Recorder(sink) as recorder, recorder.run(f"{ns}run", kind="generation") as run:
                run.produces_dataset(f"{ns}out", records=5)
            pending.append(sink.pending())
            assert node_ids(store, ns) == []
        assert pending[0] > 0 and pending[1] == 2 * pending[0]  # every event kept, none dropped

        env = {"PROVGRAPH_URL": guarded_api.url, "PROVGRAPH_TOKEN": writer.token}
        env["PROVGRAPH_SPOOL"] = str(spool)
        with sdk.Recorder(sdk.sink_from_env(env)):
            pass  # closing flushes what the refused runs spooled
        assert not spool.exists()
        assert node_ids(store, ns) == [f"{ns}out", f"{ns}run"]
        trail = artifact_audit(store, f"{ns}out")
        assert trail.events and {e.token_id for e in trail.events} == {writer.id}
        assert {e.run for e in trail.events} == {f"{ns}run"}  # the SDK names its run
    finally:
        revoke_token(store, reader.id)
        revoke_token(store, writer.id)
