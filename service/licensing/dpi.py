"""Import the Data Provenance Initiative's catalog records and compare provgraph with it.

Record format: ``shared/data/dpi/`` (Longpre et al. 2023, "The Data Provenance Initiative",
arXiv:2310.16787; Data-Provenance-Initiative/Data-Provenance-Collection, Apache-2.0).
Each record becomes a dataset ``dpi:<id>``. Two modes:

- ``faithful``: the audited license list, pseudo-licenses included, is the dataset's own
  license (an ``AND`` of the KB entries DPI's names and custom URLs map to).
- ``lineage``: vendor pseudo-licenses (DPI's "OpenAI", "Anthropic") are replaced by
  ``GENERATED_BY`` edges to generator model nodes that carry the vendor's terms, so the terms
  reach the data the way they do in provgraph; open-weight GPT-1/GPT-2 carry none.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from provgraph.service.errors import InvalidInput
from provgraph.service.licensing.categories import CATEGORIES, USE_RANK, Category
from provgraph.service.licensing.kb import KnowledgeBase, load_kb
from provgraph.service.licensing.propagation import Policy
from provgraph.service.models import EdgeKind, EdgeRecord, NodeKind, NodeRecord
from provgraph.service.store import Store

__all__ = ["DpiImport", "DpiResult", "Mode", "build", "confusion", "import_dpi", "read_records"]


class Mode(StrEnum):
    FAITHFUL = "faithful"
    LINEAGE = "lineage"


# Vendors whose terms DPI records as pseudo-licenses, and the KB entry of those terms.
VENDOR_TERMS = {"OpenAI": "LicenseRef-openai-terms", "Anthropic": "LicenseRef-anthropic-terms"}
# OpenAI models whose weights were released openly: no terms of use bind their outputs.
OPEN_WEIGHT_MODELS = {"OpenAI GPT-1", "OpenAI GPT-2"}
_ANTHROPIC_NAME = re.compile(r"^(claude|anthropic)\b", re.IGNORECASE)
_MODALITY = {"text": "text", "speech": "audio", "video": "video"}


@dataclass
class DpiImport:
    """The records to write, and how each DPI license entry was resolved."""

    nodes: list[NodeRecord] = field(default_factory=list)
    edges: list[EdgeRecord] = field(default_factory=list)
    unresolved: Counter[str] = field(default_factory=Counter)
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_records(lines: Iterable[str | bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {number}: malformed JSON: {exc.msg}") from exc
        if not isinstance(record, dict) or "id" not in record or "licenses" not in record:
            raise InvalidInput(f"line {number}: not a DPI record (needs 'id' and 'licenses')")
        yield number, record


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")


def model_vendor(name: str, groups: dict[str, list[str]]) -> str | None:
    if name in groups.get("OpenAI", []) or name.startswith("OpenAI "):
        return "OpenAI"
    if _ANTHROPIC_NAME.match(name):
        return "Anthropic"
    return None


def _license_id(kb: KnowledgeBase, entry: dict[str, Any]) -> str | None:
    """The KB id for one DPI license entry: a custom license by its URL, others by name."""
    name = str(entry.get("license", ""))
    key = str(entry.get("url", "")) if name == "Custom" else name
    found = kb.resolve_dpi(key) or (kb.resolve_dpi(name) if name != "Custom" else None)
    if found is not None:
        return found[0].id
    resolved = kb.resolve(key)
    return resolved.id if resolved else None


def _unknown_id(entry: dict[str, Any]) -> str:
    """A stable id for a license the KB does not know: provgraph reads it as unknown."""
    name = str(entry.get("license", ""))
    basis = str(entry.get("url", "")) if name == "Custom" else name
    return "LicenseRef-dpi-unknown-" + (_slug(basis)[:60] or "blank")


def build(
    records: Iterable[tuple[int, dict[str, Any]]],
    mode: Mode,
    *,
    model_groups: dict[str, list[str]] | None = None,
    kb: KnowledgeBase | None = None,
    prefix: str = "dpi:",
) -> DpiImport:
    """Nodes and edges for DPI records (nothing is written here)."""
    kb = kb or load_kb()
    groups = model_groups or {}
    result = DpiImport()
    models: dict[str, NodeRecord] = {}
    for _, record in records:
        node_id = f"{prefix}{record['id']}"
        licenses: list[str] = []
        for entry in record["licenses"]:
            license_id = _license_id(kb, entry)
            if license_id is None:
                result.unresolved[str(entry.get("url") or entry.get("license"))] += 1
                license_id = _unknown_id(entry)
            licenses.append(license_id)
        if mode is Mode.LINEAGE:
            licenses = _lineage_edges(record, node_id, licenses, groups, models, result, prefix)
        expression = " AND ".join(dict.fromkeys(licenses)) or None
        result.nodes.append(
            NodeRecord(
                node=NodeKind.DATASET,
                id=node_id,
                name=record.get("name") or record["id"],
                uri=record.get("hf_url") or record.get("dataset_url") or None,
                license=expression,
                modality=_MODALITY.get(str(record.get("modality"))),  # type: ignore[arg-type]
                attrs={
                    "source": "Data Provenance Initiative (Apache-2.0)",
                    "collection": record.get("collection"),
                    "creators": record.get("creators"),
                    "dpi_source": record.get("dpi_source"),
                },
            )
        )
        result.expected[node_id] = {
            key: record[key]
            for key in ("dpi_use", "dpi_attribution", "dpi_share_alike")
            if key in record
        }
    result.nodes.extend(models.values())
    return result


def _lineage_edges(
    record: dict[str, Any],
    node_id: str,
    licenses: list[str],
    groups: dict[str, list[str]],
    models: dict[str, NodeRecord],
    result: DpiImport,
    prefix: str,
) -> list[str]:
    """Add GENERATED_BY edges to generator models; drop pseudo-licenses they now carry."""
    carried: set[str] = set()
    for name in record.get("generator_models") or []:
        vendor = model_vendor(str(name), groups)
        terms = VENDOR_TERMS.get(vendor or "") if name not in OPEN_WEIGHT_MODELS else None
        model_id = f"{prefix}model:{_slug(str(name))}"
        if model_id not in models:
            models[model_id] = NodeRecord(
                node=NodeKind.MODEL,
                id=model_id,
                name=str(name),
                vendor=vendor,
                weights=("open" if name in OPEN_WEIGHT_MODELS else "api") if vendor else None,  # type: ignore[arg-type]
                license=terms,
            )
        result.edges.append(
            EdgeRecord.model_validate(
                {"edge": EdgeKind.GENERATED_BY, "from": node_id, "to": model_id}
            )
        )
        if terms:
            carried.add(terms)
    return [license_id for license_id in licenses if license_id not in carried]


class Confusion(BaseModel):
    """provgraph's category against DPI's, per record (rows: DPI, columns: provgraph)."""

    mode: Mode
    policy: str
    records: int
    matrix: dict[str, dict[str, int]]
    attribution_agree: int
    share_alike_agree: int
    more_permissive: list[str]
    stricter: list[str]


def confusion(
    expected: dict[str, dict[str, Any]],
    computed: Mapping[str, tuple[Category, int, int]],
    *,
    mode: Mode,
    policy: str,
) -> Confusion:
    matrix: dict[str, dict[str, int]] = {row: dict.fromkeys(CATEGORIES, 0) for row in CATEGORIES}
    attribution_agree = share_alike_agree = 0
    more_permissive: list[str] = []
    stricter: list[str] = []
    for node_id, want in expected.items():
        got = computed.get(node_id)
        if got is None or "dpi_use" not in want:
            continue
        category, attribution, share_alike = got
        matrix[want["dpi_use"]][category] += 1
        attribution_agree += int(attribution == want.get("dpi_attribution"))
        share_alike_agree += int(share_alike == want.get("dpi_share_alike"))
        if USE_RANK[category] < USE_RANK[want["dpi_use"]]:
            more_permissive.append(node_id)
        elif USE_RANK[category] > USE_RANK[want["dpi_use"]]:
            stricter.append(node_id)
    return Confusion(
        mode=mode,
        policy=policy,
        records=sum(sum(r.values()) for r in matrix.values()),
        matrix=matrix,
        attribution_agree=attribution_agree,
        share_alike_agree=share_alike_agree,
        more_permissive=more_permissive,
        stricter=stricter,
    )


class DpiResult(BaseModel):
    """What `provgraph import dpi` did, and how provgraph's judgement compares with DPI's."""

    mode: Mode
    datasets: int
    models: int
    edges: int
    nodes_created: int
    relationships_created: int
    unresolved_licenses: dict[str, int]
    comparison: Confusion | None


def import_dpi(
    store: Store,
    lines: Iterable[str | bytes],
    *,
    mode: Mode,
    policy: Policy = Policy.STRICT,
    compare: bool = True,
    prefix: str = "dpi:",
) -> DpiResult:
    """Load DPI records into the graph; where records carry DPI's verdict, compare with it."""
    from provgraph.service.ingest import ingest_records
    from provgraph.service.licensing.report import categories

    built = build(read_records(lines), mode, prefix=prefix)
    datasets = [n for n in built.nodes if n.node is NodeKind.DATASET]
    report = ingest_records(store, built.nodes, built.edges, source="dpi")
    comparison = None
    if compare and any(built.expected.values()):
        computed = categories(store, [n.id for n in datasets], policy=policy)
        comparison = confusion(built.expected, computed, mode=mode, policy=policy.value)
    return DpiResult(
        mode=mode,
        datasets=len(datasets),
        models=len(built.nodes) - len(datasets),
        edges=len(built.edges),
        nodes_created=report.nodes_created,
        relationships_created=report.relationships_created,
        unresolved_licenses=dict(built.unresolved.most_common()),
        comparison=comparison,
    )
