"""One read shared by the threads that ask for it at the same time, without going stale.

The lineage index and the answer cache read the graph epoch on every request (one Bolt
round trip, ~2.6 ms of Neo4j CPU on the reference machine, most of a cached answer's cost).
Under concurrent load most of those reads are redundant: a read that *started after* a
request arrived sees every write that committed before it arrived, so its result serves
that request exactly as the request's own read would. ``SharedRead.get`` hands each caller
the result of the first read started after the call, starting one only when none is in
flight; callers that arrive while a read is in flight wait for it to finish and then share
the next one (as a group commit shares one log flush). Reads that started *before* a
caller arrived are never used for it: that is what keeps the answers exact.

With N requests in flight in a worker, this makes about two epoch reads per round trip
instead of N.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["SharedRead"]

T = TypeVar("T")


class SharedRead(Generic[T]):
    """``get(read)`` returns the result of a ``read()`` call that started after ``get`` was
    called, shared among concurrent callers. A failed read raises in the caller that made
    it; the callers waiting on it start another."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._started = 0  # reads started so far; read k is the k-th
        self._finished = 0  # the latest read that returned a result
        self._result: T | None = None
        self._in_flight = False
        self.reads = 0  # how many reads were made (for tests and /readyz)
        self.calls = 0

    def get(self, read: Callable[[], T]) -> T:
        with self._cond:
            self.calls += 1
            wanted = self._started + 1  # the first read that starts after this call
            while True:
                if self._finished >= wanted:
                    result: T = self._result  # type: ignore[assignment]
                    return result
                if not self._in_flight:
                    self._in_flight = True
                    self._started += 1
                    mine = self._started
                    self.reads += 1
                    break
                self._cond.wait()
        try:
            value = read()
        except BaseException:
            with self._cond:
                self._in_flight = False
                self._cond.notify_all()
            raise
        with self._cond:
            self._in_flight = False
            if mine > self._finished:
                self._finished, self._result = mine, value
            self._cond.notify_all()
        return value
