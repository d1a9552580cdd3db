"""provgraph's judgement against the Data Provenance Initiative's published audit.

Data: ``shared/data/dpi/dev.jsonl`` beside the repository (Apache-2.0, Data Provenance
Initiative; see its README). Faithful mode must reproduce DPI's category and both flags for
every record; lineage mode may only be stricter, and only where the justification holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provgraph.service.licensing.categories import USE_RANK
from provgraph.service.licensing.dpi import OPEN_WEIGHT_MODELS, Mode, import_dpi, model_vendor
from provgraph.service.store import Store

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dpi" / "dev.jsonl"
pytestmark = pytest.mark.skipif(not DEV.is_file(), reason=f"DPI data not found at {DEV}")


def records() -> dict[str, dict[str, Any]]:
    with DEV.open() as handle:
        return {json.loads(line)["id"]: json.loads(line) for line in handle if line.strip()}


def test_faithful_mode_reproduces_dpi_for_every_record(store: Store, ns: str) -> None:
    with DEV.open("rb") as handle:
        result = import_dpi(store, handle, mode=Mode.FAITHFUL, prefix=f"{ns}dpi:")
    comparison = result.comparison
    assert comparison is not None
    assert comparison.records == len(records()) == 2284
    off_diagonal = {
        (row, column): n
        for row, counts in comparison.matrix.items()
        for column, n in counts.items()
        if row != column and n
    }
    assert off_diagonal == {}
    assert comparison.attribution_agree == comparison.share_alike_agree == comparison.records


def _generated_by_vendor_without_pseudo_license(record: dict[str, Any]) -> bool:
    """DPI adds the vendor pseudo-license by hand, so some vendor-generated data lacks it."""
    vendors = {
        model_vendor(name, {})
        for name in record["generator_models"]
        if name not in OPEN_WEIGHT_MODELS
    }
    missing_openai = "OpenAI" in vendors and not record["has_openai_terms"]
    missing_anthropic = "Anthropic" in vendors and not record["has_anthropic_terms"]
    return missing_openai or missing_anthropic


def test_lineage_mode_is_never_more_permissive_and_stricter_only_where_justified(
    store: Store, ns: str
) -> None:
    with DEV.open("rb") as handle:
        result = import_dpi(store, handle, mode=Mode.LINEAGE, prefix=f"{ns}dpi:")
    comparison = result.comparison
    assert comparison is not None
    assert comparison.more_permissive == []
    justified = {
        f"{ns}dpi:{rid}"
        for rid, record in records().items()
        if _generated_by_vendor_without_pseudo_license(record)
        and USE_RANK[record["dpi_use"]] < USE_RANK["non-commercial"]
    }
    assert set(comparison.stricter) == justified
    assert justified, "the dev split has vendor-generated records without the pseudo-license"
    assert result.models > 0 and result.edges > 0
