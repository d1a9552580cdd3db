"""SharedRead: concurrent callers share a read, but never one that started before they
arrived (that is what keeps epoch-checked answers exact). Plain threads; no database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from provgraph.service.shared_read import SharedRead


class SlowCounter:
    """A read that returns how many reads started before it, and blocks until released."""

    def __init__(self) -> None:
        self.started = 0
        self.gates: list[threading.Event] = []
        self.lock = threading.Lock()

    def __call__(self) -> int:
        with self.lock:
            self.started += 1
            number = self.started
            gate = threading.Event()
            self.gates.append(gate)
        assert gate.wait(5), "read never released"
        return number

    def release(self, number: int) -> None:
        wait_until(lambda: len(self.gates) >= number)
        self.gates[number - 1].set()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.001)


def in_thread(shared: SharedRead[int], read: Callable[[], int], out: dict[str, int], name: str):
    thread = threading.Thread(target=lambda: out.__setitem__(name, shared.get(read)))
    thread.start()
    return thread


def test_sequential_callers_each_read_afresh() -> None:
    shared: SharedRead[int] = SharedRead()
    values = iter(range(1, 100))
    assert [shared.get(lambda: next(values)) for _ in range(3)] == [1, 2, 3]
    assert shared.reads == 3 and shared.calls == 3


def test_callers_arriving_during_a_read_share_the_next_one_not_that_one() -> None:
    shared: SharedRead[int] = SharedRead()
    read = SlowCounter()
    out: dict[str, int] = {}
    first = in_thread(shared, read, out, "first")
    wait_until(lambda: read.started == 1)
    late = [in_thread(shared, read, out, f"late{i}") for i in range(3)]
    wait_until(lambda: shared.calls == 4)
    read.release(1)
    first.join(5)
    assert out["first"] == 1
    # The late callers arrived after read 1 started: they must get read 2, made once.
    read.release(2)
    for thread in late:
        thread.join(5)
    assert [out[f"late{i}"] for i in range(3)] == [2, 2, 2]
    assert shared.reads == 2 and read.started == 2


def test_a_failed_read_raises_in_its_caller_and_waiters_read_again() -> None:
    shared: SharedRead[int] = SharedRead()
    gate = threading.Event()
    attempts: list[int] = []

    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            gate.wait(5)
            raise ConnectionError("lost the server")
        return 7

    errors: list[BaseException] = []

    def first_caller() -> None:
        try:
            shared.get(flaky)
        except ConnectionError as exc:
            errors.append(exc)

    first = threading.Thread(target=first_caller)
    first.start()
    wait_until(lambda: len(attempts) == 1)
    out: dict[str, int] = {}
    waiter = in_thread(shared, flaky, out, "waiter")
    wait_until(lambda: shared.calls == 2)
    gate.set()
    first.join(5)
    waiter.join(5)
    assert len(errors) == 1 and out["waiter"] == 7 and len(attempts) == 2


def test_an_error_is_not_remembered_as_a_result() -> None:
    shared: SharedRead[int] = SharedRead()
    with pytest.raises(KeyError):
        shared.get(lambda: {}["missing"])
    assert shared.get(lambda: 3) == 3
