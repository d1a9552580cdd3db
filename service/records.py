"""Turn rows from Neo4j into the output models: temporal values as ISO 8601 strings, the
``attrs`` JSON string back into an object, the ``kind`` projected by the queries."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from provgraph.service.models import Artifact, ArtifactDetail, LineageEdge

__all__ = [
    "artifact_from_row",
    "artifact_props",
    "decode_attrs",
    "detail_from_row",
    "edge_from_row",
    "edge_props",
    "plain",
]

_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """Neo4j temporal types (and lists of them) as ISO strings; everything else unchanged."""
    if value.__class__ in _SCALARS:  # most values: skip the attribute probing below
        return value
    if isinstance(value, list):
        return [plain(v) for v in value]
    iso = getattr(value, "iso_format", None)
    if callable(iso):
        return iso()
    return value


def _properties(props: dict[str, Any]) -> dict[str, Any]:
    # Sorted: the order Neo4j hands properties out in differs between queries.
    return decode_attrs({key: plain(props[key]) for key in sorted(props)})


def decode_attrs(data: dict[str, Any]) -> dict[str, Any]:
    """``attrs`` (stored as a JSON string) back into an object, in place."""
    if isinstance(data.get("attrs"), str):
        # A value written by hand in Neo4j Browser may not be JSON: then show it as it is.
        with contextlib.suppress(json.JSONDecodeError):
            data["attrs"] = json.loads(data["attrs"])
    return data


def artifact_props(props: dict[str, Any]) -> dict[str, Any]:
    """An artifact row as the plain dict ``Artifact`` validates (for building a whole
    answer in one validation)."""
    return _properties(props)


def artifact_from_row(props: dict[str, Any]) -> Artifact:
    return Artifact.model_validate(_properties(props))


def detail_from_row(props: dict[str, Any], licenses: list[str]) -> ArtifactDetail:
    return ArtifactDetail.model_validate({**_properties(props), "licenses": sorted(licenses)})


def edge_props(row: dict[str, Any]) -> dict[str, Any]:
    """An edge row as the plain dict ``LineageEdge`` validates."""
    given = row.get("properties") or {}
    props = {key: plain(given[key]) for key in sorted(given)}
    return {**props, "from": row["from"], "to": row["to"], "type": row["type"]}


def edge_from_row(row: dict[str, Any]) -> LineageEdge:
    return LineageEdge.model_validate(edge_props(row))
