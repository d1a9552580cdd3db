"""The audit trail of writes: who wrote what, when, and through which token or SDK run.

Every committed ingest (NDJSON file, API write, SDK emit) leaves one ``:AuditEvent`` node,
written in the same transactions as the data (so no acknowledged write lacks its record),
linked by ``(:AuditEvent)-[:WROTE]->(:Artifact)`` to each artifact it created or changed
and to the child of each lineage edge it wrote. The actor comes from a context variable:
the API sets it from the bearer token (and an ``X-Provgraph-Run`` header the SDK sends),
the SDK through :func:`acting_as`; otherwise it is the local OS user (the CLI).
"""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from provgraph.service.errors import NotFound
from provgraph.service.records import plain
from provgraph.service.store import Store, Tx

__all__ = [
    "Actor",
    "AuditEvent",
    "AuditTrail",
    "WriteAudit",
    "acting_as",
    "artifact_audit",
    "current_actor",
]

Via = Literal["api", "cli", "sdk", "local"]
MAX_AUDIT_LIMIT = 10_000


class Actor(BaseModel):
    """Who is writing: an API token, an SDK run, or a local user."""

    via: Via
    name: str = Field(description="token name, or user@host for local writes")
    token_id: str | None = None
    run: str | None = Field(default=None, description="the SDK run that wrote, if any")


def _local_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(via="local", name=f"{user}@{socket.gethostname()}")


_actor: ContextVar[Actor | None] = ContextVar("provgraph_actor", default=None)


def current_actor() -> Actor:
    return _actor.get() or _local_actor()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Attribute the writes made inside the block to ``actor``."""
    reset = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(reset)


class WriteAudit:
    """The audit record of one ingest, shared by its (possibly many) transactions."""

    def __init__(self, *, action: str, source: str) -> None:
        self.id = "audit_" + uuid.uuid4().hex
        self.actor = current_actor()
        self.action = action
        self.source = source
        self.at = datetime.now(UTC)

    def record(self, tx: Tx, artifact_ids: list[str]) -> None:
        """Inside a write transaction: the event (once) and its links to ``artifact_ids``."""
        tx.run(
            "audit_record",
            id=self.id,
            at=self.at,
            action=self.action,
            source=self.source,
            via=self.actor.via,
            actor=self.actor.name,
            token_id=self.actor.token_id,
            run=self.actor.run,
            ids=artifact_ids,
            counted=False,
        )


class AuditEvent(BaseModel):
    id: str
    at: datetime
    action: str
    source: str
    via: Via
    actor: str
    token_id: str | None = None
    run: str | None = None


class AuditTrail(BaseModel):
    """The writes that touched one artifact, newest first."""

    id: str
    events: list[AuditEvent]
    complete: bool = Field(description="false when `limit` cut the list")


def artifact_audit(store: Store, artifact_id: str, *, limit: int = 100) -> AuditTrail:
    """Every recorded write of ``artifact_id``, newest first (NotFound if unknown)."""
    limit = max(1, min(limit, MAX_AUDIT_LIMIT))

    def work(tx: Tx) -> list[dict[str, Any]] | None:
        if not tx.run("artifact_kinds", ids=[artifact_id]):
            return None
        return tx.run("audit_for_artifact", id=artifact_id, limit=limit + 1)

    rows = store.read(work)
    if rows is None:
        raise NotFound(artifact_id)
    events = [
        AuditEvent.model_validate({k: plain(v) for k, v in r["event"].items()})
        for r in rows[:limit]
    ]
    return AuditTrail(id=artifact_id, events=events, complete=len(rows) <= limit)
