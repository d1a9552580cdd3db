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


# Eight threads allocate at once (each holds its block until all have one); prints the
# number of malloc arenas glibc then has (malloc_info's heaps).
_ARENAS_PROBE = """
import ctypes, os, re, sys, tempfile, threading
from provgraph.service.heap import limit_arenas

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "set":
    assert limit_arenas(2)
all_hold = threading.Barrier(8)

def hold():
    block = libc.malloc(1000)
    all_hold.wait()
    libc.free(block)

threads = [threading.Thread(target=hold) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc.fdopen.restype = ctypes.c_void_p
with tempfile.TemporaryFile() as out:
    stream = ctypes.c_void_p(libc.fdopen(os.dup(out.fileno()), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    out.seek(0)
    print(len(re.findall(rb"<heap nr=", out.read())))
"""


def _arenas(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _ARENAS_PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_threads_share_the_arenas_it_limits_them_to() -> None:
    assert _arenas("default") > 2  # glibc gives new threads arenas of their own
    assert _arenas("set") <= 2
