"""glibc's handling of big freed blocks, as an API process sets it (service/heap.py)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt thresholds are glibc's"
)

# Frees a 16 MB block (glibc then raises its threshold to 16 MB), then prints how much of
# a freed 8 MB block stays resident.
_PROBE = """
import ctypes, sys
from provgraph.service.heap import return_large_blocks_at_once

def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmRSS"))

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "set":
    assert return_large_blocks_at_once()

def touch_and_free(size):
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)

touch_and_free(16 << 20)
before = rss()
touch_and_free(8 << 20)
print(rss() - before)
"""


def _kept_after_free(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_a_freed_big_block_goes_back_to_the_system_once_set() -> None:
    assert _kept_after_free("default") > 6 << 20  # glibc's own rule keeps it
    assert _kept_after_free("set") < 1 << 20
