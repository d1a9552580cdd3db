"""The only module that talks to Neo4j: it runs named queries from ``provgraph.cypher``.

Multi-query reads go through ``execute_read`` and writes through ``execute_write`` (managed
transactions: the driver retries transient errors, and a cluster routes reads to
secondaries). A one-query read (``Store.query``) runs as an auto-commit transaction in a
read session: RUN and PULL go in one round trip, where a managed transaction adds BEGIN
and COMMIT; one statement reads a consistent snapshot on its own, and transient failures
are retried here as the driver would. Every call names the database, so no round trip is
spent resolving it.
Driver errors become provgraph errors here and nowhere else.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase, ManagedTransaction, unit_of_work
from neo4j import exceptions as neo4j_errors

from provgraph import cypher
from provgraph.service.errors import InvalidInput, QueryTimeout, StoreUnavailable
from provgraph.service.settings import Settings, display_uri

__all__ = ["Store", "Tx", "WriteCounts", "display_uri", "resolve_connection"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# Fail fast while the database is down: the API answers 503 instead of hanging a client.
_DRIVER_OPTIONS: dict[str, Any] = {
    "connection_timeout": 5.0,
    "connection_acquisition_timeout": 10.0,
    "max_transaction_retry_time": 5.0,
    "notifications_min_severity": "OFF",
}
_RETRY_FIRST_DELAY_S = 0.1  # then doubled, with jitter, as the driver's managed retries


@dataclass
class WriteCounts:
    """Graph changes made by a write, summed over its statements."""

    nodes_created: int = 0
    relationships_created: int = 0
    properties_set: int = 0
    labels_added: int = 0

    def merge(self, other: WriteCounts) -> None:
        self.nodes_created += other.nodes_created
        self.relationships_created += other.relationships_created
        self.properties_set += other.properties_set
        self.labels_added += other.labels_added

    def add(self, counters: neo4j.SummaryCounters) -> None:
        self.nodes_created += counters.nodes_created
        self.relationships_created += counters.relationships_created
        self.properties_set += counters.properties_set
        self.labels_added += counters.labels_added


class Tx:
    """A managed transaction that runs named queries."""

    def __init__(self, tx: ManagedTransaction, counts: WriteCounts | None) -> None:
        self._tx = tx
        self._counts = counts

    def run(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        max_depth: int | None = None,
        counted: bool = True,
        raw: bool = False,
        **named: Any,
    ) -> list[dict[str, Any]]:
        """Run query ``name`` with ``params`` and/or keyword parameters (a dict allows names
        such as ``from`` that are Python keywords). The depth bound is spliced only through
        ``cypher.with_depth``. ``counted=False`` keeps bookkeeping (the audit trail) out of
        the write's graph-change counts. ``raw``: values as the driver decoded them, not walked by
        ``Record.data()`` (for queries that return only lists, maps and scalars: walking
        large nested answers took a third of a lineage page's time)."""
        result = self._tx.run(_text(name, max_depth), {**(params or {}), **named})
        rows = _rows(result, raw)
        if self._counts is not None and counted:
            self._counts.add(result.consume().counters)
        return rows

    def stream(self, name: str, /, **params: Any) -> Iterator[dict[str, Any]]:
        """The rows of read query ``name`` one at a time, as the driver decoded them (as
        ``raw``): the caller folds each into its own compact form, so a large answer is
        never held as a list of rows (a 123k-node ancestry was 2 KB a row that way)."""
        result = self._tx.run(cypher.load(name), params)
        keys: list[str] | None = None
        for record in result:
            keys = keys or list(record.keys())
            yield dict(zip(keys, record, strict=True))


def _text(name: str, max_depth: int | None) -> str:
    """The text of query ``name``; the depth bound is spliced only through ``cypher.with_depth``."""
    text: str = cypher.load(name)
    if cypher.DEPTH_MARKER in text:
        text = cypher.with_depth(text, max_depth)
    return text


def _rows(result: Iterable[neo4j.Record], raw: bool) -> list[dict[str, Any]]:
    return [
        dict(zip(record.keys(), record, strict=True)) if raw else record.data() for record in result
    ]


def resolve_connection(settings: Settings) -> tuple[str, tuple[str, str] | None]:
    """The URI and credentials to use: ``NEO4J_URI`` if set, else the managed local server."""
    if settings.neo4j_uri:
        password = settings.neo4j_password
        return settings.neo4j_uri, (settings.neo4j_user, password) if password else None
    from provgraph.service.localdb import managed_connection

    local = managed_connection(settings)
    if local is None:
        raise StoreUnavailable(
            "no database configured: set NEO4J_URI, or start the local server "
            "with `provgraph db start`"
        )
    return local.uri, (local.user, local.password) if local.password else None


class Store:
    """A connection to one Neo4j database, running named queries in managed transactions."""

    def __init__(
        self,
        driver: neo4j.Driver,
        *,
        database: str,
        timeout: float,
        uri: str = "",
        write_timeout: float | None = None,
    ) -> None:
        self._driver = driver
        self.database = database
        self.timeout = timeout
        # Writers queue on the lineage lock, and Neo4j counts lock waits against the
        # transaction timeout: writes get a longer one so a busy queue is not a failure.
        self.write_timeout = max(timeout, write_timeout or 0.0)
        self.uri = uri
        self._closing = threading.Event()
        self._workers: set[threading.Thread] = set()
        self._workers_lock = threading.Lock()

    @classmethod
    def connect(cls, settings: Settings) -> Store:
        uri, auth = resolve_connection(settings)
        try:
            driver = GraphDatabase.driver(uri, auth=auth, **_DRIVER_OPTIONS)
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            shown = display_uri(uri)
            reason = str(exc).replace(uri, shown)
            if settings.neo4j_password:
                reason = reason.replace(settings.neo4j_password, "***")
            raise StoreUnavailable(f"bad database URI {shown!r}: {reason}") from None
        return cls(
            driver,
            database=settings.database,
            timeout=settings.query_timeout_s,
            uri=display_uri(uri),
            write_timeout=settings.write_timeout_s,
        )

    @property
    def closing(self) -> bool:
        return self._closing.is_set()

    def start_worker(self, target: Callable[[], None], name: str) -> bool:
        """Run ``target`` in a daemon thread that ``close`` waits for; False (not started)
        once the store is closing. Closing the driver sends GOODBYE on every pooled
        connection, also on one another thread is still using: the driver then fails with
        ``BufferError`` (seen when a lineage index build outlived its store)."""

        def run() -> None:
            try:
                target()
            finally:
                with self._workers_lock:
                    self._workers.discard(thread)

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._workers_lock:
            if self._closing.is_set():
                return False
            self._workers.add(thread)
        thread.start()
        return True

    def close(self) -> None:
        """Stop new queries, wait for the workers (each stops at its next query), close."""
        self._closing.set()
        with self._workers_lock:
            workers = [t for t in self._workers if t is not threading.current_thread()]
        for worker in workers:
            worker.join(timeout=self.timeout)
        self._driver.close()

    def _check_open(self) -> None:
        if self._closing.is_set():
            raise StoreUnavailable("the connection to Neo4j is closing")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in one read transaction (a consistent snapshot for multi-query answers)."""

        @unit_of_work(timeout=self.timeout)
        def unit(tx: ManagedTransaction) -> T:
            return work(Tx(tx, None))

        self._check_open()
        with self._errors(), self._driver.session(database=self.database) as session:
            return session.execute_read(unit)

    def write(self, work: Callable[[Tx], T]) -> tuple[T, WriteCounts]:
        """Run ``work`` in one write transaction; returns its result and the graph changes."""

        @unit_of_work(timeout=self.write_timeout)
        def unit(tx: ManagedTransaction) -> tuple[T, WriteCounts]:
            counts = WriteCounts()  # fresh per attempt: a retried transaction counts once
            return work(Tx(tx, counts)), counts

        self._check_open()
        with (
            self._errors(self.write_timeout, "PROVGRAPH_WRITE_TIMEOUT"),
            self._driver.session(database=self.database) as session,
        ):
            return session.execute_write(unit)

    def query(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        /,
        *,
        max_depth: int | None = None,
        raw: bool = False,
        **named: Any,
    ) -> list[dict[str, Any]]:
        """Run one named read query (parameters as for ``Tx.run``) as an auto-commit
        transaction in a read session: one round trip instead of three (see the module doc).
        Retryable failures are retried for up to ``max_transaction_retry_time``, as
        ``execute_read`` would."""
        self._check_open()
        query = neo4j.Query(_text(name, max_depth), timeout=self.timeout)
        values = {**(params or {}), **named}
        deadline = time.monotonic() + _DRIVER_OPTIONS["max_transaction_retry_time"]
        delay = _RETRY_FIRST_DELAY_S
        with self._errors():
            while True:
                try:
                    with self._driver.session(
                        database=self.database, default_access_mode=neo4j.READ_ACCESS
                    ) as session:
                        return _rows(session.run(query, values), raw)
                except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as exc:
                    if not exc.is_retryable() or time.monotonic() + delay > deadline:
                        raise
                log.debug("read %s failed with a retryable error; retrying", name)
                time.sleep(delay * random.uniform(0.8, 1.2))
                delay *= 2

    def explain(self, name: str, *, max_depth: int | None = None, **params: Any) -> list[str]:
        """Operator names of the plan of a named query (for tests and `docs/queries.md`)."""
        text = _text(name, max_depth)
        with self._errors(), self._driver.session(database=self.database) as session:
            plan = session.run("EXPLAIN " + text, params).consume().plan
        operators: list[str] = []

        def walk(node: Any) -> None:
            operators.append(str(node["operatorType"]).split("@")[0])
            for child in node.get("children", []):
                walk(child)

        if plan is not None:
            walk(plan)
        return operators

    def ensure_schema(self) -> None:
        """Apply the uniqueness constraints (idempotent)."""
        # Drop the comment lines first: a ';' inside a comment must not split a statement.
        code = "\n".join(
            line
            for line in cypher.load("schema").splitlines()
            if not line.lstrip().startswith("//")
        )
        with self._errors(), self._driver.session(database=self.database) as session:
            for statement in filter(None, (part.strip() for part in code.split(";"))):
                session.run(statement).consume()

    def verify(self) -> None:
        """Raise ``StoreUnavailable`` at once when the server cannot be reached or refuses us."""
        with self._errors():
            self._driver.verify_connectivity()

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the database answers a query."""
        self.query("ping")

    @contextmanager
    def _errors(
        self, limit: float | None = None, setting: str = "PROVGRAPH_QUERY_TIMEOUT"
    ) -> Iterator[None]:
        try:
            yield
        except neo4j_errors.AuthError as exc:
            raise StoreUnavailable(
                f"Neo4j at {self.uri} refused the credentials: {exc.message}"
            ) from exc
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError) as exc:
            raise StoreUnavailable(f"Neo4j at {self.uri} is unreachable: {exc}") from exc
        except neo4j_errors.ClientError as exc:
            code = exc.code or ""
            # LockClientStopped: the transaction was stopped (by its timeout) while waiting
            # for a lock.
            if "TransactionTimedOut" in code or "Timeout" in code or "LockClientStopped" in code:
                seconds = self.timeout if limit is None else limit
                raise QueryTimeout(f"query ran past the {seconds:g} s limit ({setting})") from exc
            if code == "Neo.ClientError.Request.InvalidFormat":  # a value Neo4j cannot hold
                raise InvalidInput(f"a value cannot be stored in Neo4j: {exc.message}") from exc
            raise
        except neo4j_errors.TransientError as exc:
            raise StoreUnavailable(f"Neo4j is busy, retry later: {exc.message}") from exc
        except UnicodeEncodeError as exc:  # a parameter Neo4j cannot store (lone surrogate)
            raise InvalidInput(
                "text is not valid Unicode (an unpaired surrogate) and cannot be stored"
            ) from exc
