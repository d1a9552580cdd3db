"""Line-aligned byte ranges of a file, so several processes can parse one NDJSON input.

Every range starts at the beginning of a line and ends just after a line break (or at the
end of the file), so the ranges' lines, in order, are exactly the file's lines.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["line_ranges", "lines_before", "parse_processes", "range_lines", "split_spans"]

_BLOCK = 16 << 20


def parse_processes() -> int:
    """The cores this process may run on (the parse uses at most that many processes)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def split_spans(path: Path, processes: int, part_bytes: int) -> list[tuple[int, int]]:
    """The parts to parse ``path`` in: at most ``processes``, each at least ``part_bytes``
    (one part, the whole file, when it is smaller than two)."""
    parts = min(processes, path.stat().st_size // max(part_bytes, 1))
    return line_ranges(path, max(parts, 1))


def line_ranges(path: Path, parts: int) -> list[tuple[int, int]]:
    """Up to ``parts`` ranges ``(start, end)`` of about equal size covering ``path``."""
    size = path.stat().st_size
    if parts <= 1 or size == 0:
        return [(0, size)]
    bounds = [0]
    with path.open("rb") as handle:
        for part in range(1, parts):
            cut = size * part // parts
            if cut <= bounds[-1]:
                continue
            handle.seek(cut - 1)
            handle.readline()  # to just after the break at or after byte cut - 1
            bound = handle.tell()
            if bounds[-1] < bound < size:
                bounds.append(bound)
    bounds.append(size)
    return list(itertools.pairwise(bounds))


def lines_before(path: Path, offset: int) -> int:
    """How many lines end before byte ``offset`` (a line start)."""
    count = 0
    with path.open("rb") as handle:
        left = offset
        while left > 0:
            block = handle.read(min(_BLOCK, left))
            if not block:
                break
            count += block.count(b"\n")
            left -= len(block)
    return count


def range_lines(handle: BinaryIO, start: int, end: int) -> Iterator[bytes]:
    """The lines of the open file ``handle`` in ``[start, end)``, each with its break."""
    handle.seek(start)
    left = end - start
    if left <= 0:
        return
    for raw in handle:
        yield raw
        left -= len(raw)
        if left <= 0:
            break
