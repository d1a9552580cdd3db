"""Duplicates inside the checked dataset, found after the stream without holding it.

While the dataset streams, each record's exact hash stays in memory (16 bytes a record),
and its LSH band hashes and MinHash signature are appended to files in a temporary
directory. At the end, each column is sorted once: a record whose exact hash, or one of
whose band hashes, an earlier record already had is a candidate duplicate of the earliest
such record; near-duplicate candidates are verified on their signatures (read from the
file, row by row).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from provgraph.service.checks.features import BatchFeatures, Flag
from provgraph.service.checks.index import unique_pairs
from provgraph.service.checks.text import I64

__all__ = ["WithinDuplicates"]


def _earlier(keys: np.ndarray) -> tuple[I64, I64]:
    """Positions whose key occurred before, and the first position with that key (in no
    particular order: an unstable sort, with the minimum position of each run of equal keys
    as its first)."""
    if len(keys) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = np.minimum.reduceat(order, np.flatnonzero(starts))[np.cumsum(starts) - 1]
    later = order != first
    return order[later].astype(np.int64), first[later].astype(np.int64)


class WithinDuplicates:
    def __init__(self, name: str, *, bands: int, num_perm: int, jaccard: float) -> None:
        self.name = name
        self.bands = bands
        self.num_perm = num_perm
        self.jaccard = jaccard
        self._tmp = tempfile.TemporaryDirectory(prefix="provgraph-check-")
        root = Path(self._tmp.name)
        self._band_paths = [root / f"band{b}.u64" for b in range(bands)]
        self._band_files: list[BinaryIO] = [p.open("wb") for p in self._band_paths]
        self._signature_path = root / "signatures.u32"
        self._signatures = self._signature_path.open("wb")
        self._exact: list[I64] = []
        self._rows: list[I64] = []
        self._usable: list[np.ndarray] = []

    def add(self, features: BatchFeatures) -> None:
        self._exact.append(features.exact)
        self._rows.append(features.rows)
        self._usable.append(features.usable)
        for band, handle in enumerate(self._band_files):
            np.ascontiguousarray(features.bands[:, band]).tofile(handle)
        np.ascontiguousarray(features.signatures).tofile(self._signatures)

    def _read(self, handle: BinaryIO, positions: I64) -> np.ndarray:
        """The signatures at ``positions``, read row by row (a memory map would count every
        page it touched, and the pages around them, in the resident set)."""
        width = self.num_perm * 4
        out = np.empty((len(positions), self.num_perm), dtype=np.uint32)
        for i, position in enumerate(positions.tolist()):
            handle.seek(position * width)
            out[i] = np.frombuffer(handle.read(width), dtype=np.uint32)
        return out

    def close(self) -> None:
        """Remove the temporary files (idempotent; also after an error)."""
        for handle in (*self._band_files, self._signatures):
            handle.close()
        self._tmp.cleanup()

    def finish(self) -> list[Flag]:
        """Flags of the records that duplicate an earlier record of the dataset."""
        try:
            for handle in (*self._band_files, self._signatures):
                handle.close()
            rows = np.concatenate(self._rows) if self._rows else np.zeros(0, np.int64)
            exact = np.concatenate(self._exact) if self._exact else np.zeros(0, np.int64)
            usable = np.concatenate(self._usable) if self._usable else np.zeros(0, bool)
            self._exact, self._rows, self._usable = [], [], []
            later, first = _earlier(exact)
            flags: list[Flag] = [
                (int(rows[p]), "exact_duplicate", self.name, int(rows[f]), 1.0, None)
                for p, f in sorted(zip(later.tolist(), first.tolist(), strict=True))
            ]
            usable[later] = False  # an exact duplicate is not also a near one
            flags += self._near(rows, usable)
            return flags
        finally:
            self._tmp.cleanup()

    def _near(self, rows: I64, usable: np.ndarray) -> list[Flag]:
        if len(rows) == 0:
            return []
        mine_parts, theirs_parts = [], []
        positions = np.flatnonzero(usable)
        for path in self._band_paths:
            keys = np.fromfile(path, dtype=np.uint64)[positions]
            later, first = _earlier(keys)
            mine_parts.append(positions[later])
            theirs_parts.append(positions[first])
        mine, theirs = np.concatenate(mine_parts), np.concatenate(theirs_parts)
        if len(mine) == 0:
            return []
        pairs = unique_pairs(mine, theirs)
        best: dict[int, tuple[float, int]] = {}
        with self._signature_path.open("rb") as handle:
            for begin in range(0, len(pairs), 65536):
                chunk = pairs[begin : begin + 65536]
                left, right = self._read(handle, chunk[:, 0]), self._read(handle, chunk[:, 1])
                scores = (left == right).mean(axis=1)
                for (p, q), score in zip(chunk.tolist(), scores.tolist(), strict=True):
                    if score >= self.jaccard and score > best.get(p, (-1.0, 0))[0]:
                        best[p] = (score, q)
        return [
            (int(rows[p]), "near_duplicate", self.name, int(rows[q]), round(s, 4), None)
            for p, (s, q) in sorted(best.items())
        ]
