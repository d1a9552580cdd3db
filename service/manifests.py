"""Record-level provenance: Parquet manifests with one row per generated record.

A run writes a manifest (``provgraph.sdk``'s ``Run.record_manifest``); the graph keeps the
counts on the lineage edges and the manifest's location and sha256 on the `:Run` that
produced the dataset. ``records_from`` answers which records of a dataset came from one
generator model (e.g. to filter out one vendor's outputs), reading only the manifests of
the runs that produced the dataset, with a pyarrow filter.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, Field

from provgraph.service.errors import InvalidInput, NotFound
from provgraph.service.store import Store

__all__ = [
    "ManifestRecord",
    "RecordList",
    "file_sha256",
    "manifest_path",
    "records_from",
]


class ManifestRecord(BaseModel):
    record_index: int
    record_hash: str
    generator: str | None
    prompt_template: str | None
    seed_ids: list[str]
    run: str


class RecordList(BaseModel):
    """Records of ``dataset`` whose generator is ``generator``, from its runs' manifests."""

    dataset: str
    generator: str
    manifests: list[str] = Field(description="manifest URIs read")
    total: int = Field(description="matching records in all manifests")
    records: list[ManifestRecord] = Field(description="at most `limit` of them, by index")
    complete: bool


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_path(uri: str) -> Path:
    """A local path from a ``file://`` URI or a plain path."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise InvalidInput(f"manifest {uri!r}: only local files (file://) can be read")
    return Path(uri)


def records_from(store: Store, dataset_id: str, generator: str, *, limit: int = 1000) -> RecordList:
    """Which records of ``dataset_id`` came from ``generator`` (exact model id)."""
    if not 1 <= limit <= 100_000:
        raise InvalidInput("limit must be in 1..100000")
    rows = store.query("dataset_manifests", id=dataset_id)
    if not rows:
        raise NotFound(dataset_id)
    manifests = [m for m in rows[0]["manifests"] if m["uri"]]
    if not manifests:
        raise InvalidInput(
            f"{dataset_id!r} has no record manifest: no run that produced it recorded one"
        )
    # pyarrow is imported here, not at the top: it is ~60 MB of every API process otherwise.
    from provgraph.service import manifest_tables

    paths: list[Path] = []
    for manifest in manifests:
        path = manifest_path(manifest["uri"])
        if not path.is_file():
            raise InvalidInput(f"manifest of run {manifest['run']!r} is missing: {path}")
        if manifest["sha256"] and file_sha256(path) != manifest["sha256"]:
            raise InvalidInput(
                f"manifest {path} changed since run {manifest['run']!r} recorded it (sha256)"
            )
        paths.append(path)
    total, rows = manifest_tables.matching_records(paths, dataset_id, generator, limit)
    records = [ManifestRecord.model_validate(r) for r in rows]
    return RecordList(
        dataset=dataset_id,
        generator=generator,
        manifests=[m["uri"] for m in manifests],
        total=total,
        records=records,
        complete=total <= limit,
    )
