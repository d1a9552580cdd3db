"""Latency summaries: p50/p95/p99 over repeated runs (milliseconds)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["summary", "timed", "timed_call"]

T = TypeVar("T")


def summary(times_ms: list[float]) -> dict[str, Any]:
    if not times_ms:
        return {"n": 0}
    values = np.asarray(times_ms)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "n": len(times_ms),
        "p50": round(float(p50), 3),
        "p95": round(float(p95), 3),
        "p99": round(float(p99), 3),
        "min": round(float(values.min()), 3),
        "max": round(float(values.max()), 3),
    }


def timed_call(work: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = work()
    return result, (time.perf_counter() - start) * 1000


def timed(
    work: Callable[[], T], repeat: int, budget_s: float | None = None
) -> tuple[T, list[float]]:
    """Run ``work`` ``repeat`` times (fewer once ``budget_s`` is spent, at least once);
    returns the last result and every wall time."""
    times: list[float] = []
    result: T | None = None
    deadline = None if budget_s is None else time.perf_counter() + budget_s
    for _ in range(max(1, repeat)):
        result, ms = timed_call(work)
        times.append(ms)
        if deadline is not None and time.perf_counter() + ms / 1000 > deadline:
            break
    assert result is not None
    return result, times
