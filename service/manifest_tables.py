"""The Parquet side of record manifests: their schema, and reading the rows of one
dataset and generator from several manifests. Kept apart from ``manifests`` so that only
code that reads or writes a manifest imports pyarrow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["MANIFEST_SCHEMA", "matching_records"]

MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("record_index", pa.int64(), nullable=False),
        pa.field("record_hash", pa.string(), nullable=False),  # sha256 of the record's text
        pa.field("generator", pa.string()),  # model id; null: not generated (e.g. a human seed)
        pa.field("prompt_template", pa.string()),
        pa.field("seed_ids", pa.list_(pa.string())),
        pa.field("run", pa.string(), nullable=False),
    ],
    metadata={"provgraph_manifest_version": "1"},
)


def matching_records(
    paths: list[Path], dataset_id: str, generator: str, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many rows of ``dataset_id`` from ``generator`` the manifests hold, and the first
    ``limit`` of them by record index (without the dataset column)."""
    columns = [f.name for f in MANIFEST_SCHEMA if f.name != "dataset"]
    found = [
        pq.read_table(
            path, filters=[("dataset", "=", dataset_id), ("generator", "=", generator)]
        ).select(columns)
        for path in paths
    ]
    table = pa.concat_tables(found) if found else pa.table({})
    table = table.take(pc.sort_indices(table, sort_keys=[("record_index", "ascending")]))
    return table.num_rows, table.slice(0, limit).to_pylist()
