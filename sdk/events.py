"""The SDK's unit of delivery: an event, a batch of NDJSON records with an id.

The records are the ingest contract's own (docs/ingest.md): nodes, lineage edges, runs and
run edges. Writes are ``MERGE``s, so delivering an event twice changes nothing; the id lets
the spool drop a copy it already holds.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from provgraph.service.ndjson import Record, parse_record

__all__ = ["Event", "new_event"]


class Event(BaseModel):
    """One batch of records, written together (one ingest, all or nothing)."""

    event_id: str
    run_id: str | None = None
    emitted_at: datetime
    records: list[dict[str, Any]] = Field(description="NDJSON records (docs/ingest.md)")

    @field_validator("records")
    @classmethod
    def _valid_records(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for record in value:
            parse_record(record)  # InvalidInput names what is wrong; nothing is spooled
        return value

    def lines(self) -> list[str]:
        return [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in self.records]

    def body(self) -> bytes:
        return ("\n".join(self.lines()) + "\n").encode("utf-8")


def record_dict(record: Record) -> dict[str, Any]:
    return record.model_dump(mode="json", by_alias=True, exclude_none=True)


def new_event(records: list[Record], *, run_id: str | None = None) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        run_id=run_id,
        emitted_at=datetime.now(UTC),
        records=[record_dict(r) for r in records],
    )
