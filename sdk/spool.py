"""A local, ordered, crash-safe queue of events that could not be delivered yet.

One JSON event per line, appended with ``fsync``. ``drain(send)`` delivers the events
oldest first and rewrites the file (temp file + ``os.replace``) after each delivered one, so
a crash mid-drain at worst delivers one event again, which the receiver's ``MERGE`` absorbs.
It stops at the first transient failure to keep the order. An event the receiver rejects
as invalid is moved to ``<spool>.rejected`` (kept, never retried). A lock file serialises
processes sharing one spool.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from provgraph.sdk.errors import EventRejected
from provgraph.sdk.events import Event

__all__ = ["Spool", "TransientFailure"]

log = logging.getLogger(__name__)


class TransientFailure(Exception):
    """The receiver is down or busy: keep the event and try again later."""


class Spool:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.rejected_path = self.path.with_name(self.path.name + ".rejected")
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self, *, move_torn: bool = False) -> list[Event]:
        if not self.path.exists():
            return []
        events: list[Event] = []
        seen: set[str] = set()
        for number, line in enumerate(self.path.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                event = Event.model_validate_json(line)
            except ValueError:
                # A line torn by a crash during append: keep it aside, never drop it silently.
                if move_torn:
                    log.warning("%s line %d is not an event: moved aside", self.path, number)
                    self._append(self.rejected_path, line)
                continue
            if event.event_id not in seen:
                seen.add(event.event_id)
                events.append(event)
        return events

    def _write(self, events: list[Event]) -> None:
        if not events:
            self.path.unlink(missing_ok=True)
            return
        temp = self.path.with_name(self.path.name + ".tmp")
        with open(temp, "w", encoding="utf-8") as handle:
            for event in events:
                handle.write(event.model_dump_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)

    @staticmethod
    def _append(path: Path, line: str) -> None:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line.rstrip("\n") + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def append(self, event: Event) -> None:
        with self._locked():
            self._append(self.path, event.model_dump_json())

    def pending(self) -> list[Event]:
        with self._locked():
            return self._read()

    def __len__(self) -> int:
        return len(self.pending())

    def drain(self, send: Callable[[Event], None]) -> int:
        """Deliver spooled events in order; returns how many were delivered. Stops (keeping
        the rest) at the first ``TransientFailure``."""
        delivered = 0
        with self._locked():
            events = self._read(move_torn=True)
            while events:
                event = events[0]
                try:
                    send(event)
                except TransientFailure:
                    break
                except EventRejected as exc:
                    log.error(
                        "spooled event %s rejected: %s; kept in %s",
                        event.event_id,
                        exc.detail,
                        self.rejected_path,
                    )
                    self._append(self.rejected_path, event.model_dump_json())
                else:
                    delivered += 1
                events.pop(0)
                self._write(events)
        return delivered
