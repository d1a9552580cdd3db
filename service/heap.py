"""What glibc's malloc keeps of the memory a long-running process frees.

An API worker builds big, short-lived answers (a 688k-node closure as ids is ~20 MB of
JSON and more as objects) from many request threads. glibc serves a block of 128 KB or more
with its own mapping at first, but raises that threshold to the size of each such block
freed (up to 32 MB), so later big blocks come from the heap of the thread's arena and stay
there when freed: measured at L, 16 Q1 and 16 Q2 answers from 8 threads grew a process
holding the index from 172 to 306-375 MiB (docs/benchmarks.md, "API memory").
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

__all__ = [
    "ARENAS",
    "LARGE_BLOCK_BYTES",
    "limit_arenas",
    "release_freed_memory",
    "return_large_blocks_at_once",
]

_M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers (malloc.h)
_M_ARENA_MAX = -8
LARGE_BLOCK_BYTES = 1 << 20
ARENAS = 2


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def release_freed_memory() -> None:
    """Hand the heap freed so far back to the system (``malloc_trim``; a no-op where libc
    has none). A few milliseconds: for after builds and seconds-long computations."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def return_large_blocks_at_once(threshold: int = LARGE_BLOCK_BYTES) -> bool:
    """Give every block of ``threshold`` bytes or more its own mapping, unmapped when it is
    freed, for the rest of the process (``mallopt(M_MMAP_THRESHOLD)``, which also stops the
    threshold from rising). Same figures as above: 180-188 MiB instead of 306-375, Q1 page
    and ids times within the run-to-run spread. Returns whether libc took it."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let every thread share at most ``arenas`` malloc arenas (``mallopt(M_ARENA_MAX)``,
    what ``MALLOC_ARENA_MAX`` sets), before the request threads start. glibc otherwise
    gives up to 8 per core to an API worker's ~20 threads, and each keeps the small blocks
    its requests freed: at L, 2 arenas left a worker 4-14 MiB smaller after Q3-Q6 (one
    run each way, docs/benchmarks.md); the GIL already serializes most allocations.
    Returns whether libc took it."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))
