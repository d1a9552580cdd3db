"""Writing a run's record manifest (Parquet, ``provgraph.service.manifest_tables.MANIFEST_SCHEMA``).

Rows (a hash, ids and counts per record, never the text) are kept in memory until ``close``
names the dataset and writes the file; ``close`` returns the counts per generator that the
lineage edges carry.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from provgraph.service.manifest_tables import MANIFEST_SCHEMA
from provgraph.service.manifests import file_sha256

__all__ = ["ManifestSummary", "ManifestWriter", "record_hash"]

ROW_GROUP = 50_000


def record_hash(text: str | bytes) -> str:
    """sha256 of a record's text (UTF-8), the manifest's key for a record."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


@dataclass
class ManifestSummary:
    uri: str
    sha256: str
    rows: int
    by_generator: dict[str, int] = field(default_factory=dict)


class ManifestWriter:
    """``add`` one row per generated (or copied) record; ``close(dataset_id)`` writes it."""

    def __init__(self, path: str | os.PathLike[str], *, run_id: str) -> None:
        self.path = Path(path).resolve()
        self.run_id = run_id
        self._rows: list[dict[str, object]] = []
        self._writer: pq.ParquetWriter | None = None
        self._count = 0
        self._generators: Counter[str] = Counter()
        self.summary: ManifestSummary | None = None

    def add(
        self,
        record: str | bytes,
        *,
        generator: str | None,
        prompt_template: str | None = None,
        seed_ids: list[str] | None = None,
    ) -> str:
        """One record (its text is hashed, not stored); returns its hash."""
        if self.summary is not None:
            raise ValueError(f"manifest {self.path} is already closed")
        digest = record_hash(record)
        self._rows.append(
            {
                "record_index": self._count,
                "record_hash": digest,
                "generator": generator,
                "prompt_template": prompt_template,
                "seed_ids": list(seed_ids or []),
            }
        )
        self._count += 1
        if generator is not None:
            self._generators[generator] += 1
        return digest

    def _write(self, dataset_id: str) -> None:
        rows = [{"dataset": dataset_id, "run": self.run_id, **row} for row in self._rows]
        table = pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, MANIFEST_SCHEMA)
        self._writer.write_table(table, row_group_size=ROW_GROUP)
        self._rows = []

    def close(self, dataset_id: str) -> ManifestSummary:
        if self.summary is not None:
            return self.summary
        self._write(dataset_id)
        assert self._writer is not None
        self._writer.close()
        self.summary = ManifestSummary(
            uri=self.path.as_uri(),
            sha256=file_sha256(self.path),
            rows=self._count,
            by_generator=dict(self._generators),
        )
        return self.summary
