"""Names, licenses and record counts on top of the reference graph, written as provgraph NDJSON.

Everything is drawn from ``numpy.random.default_rng(seed)`` after the graph exists, so the
reference arrays (and their digest) are untouched and the same seed gives the same file.
Licenses are ids of provgraph's license KB: mostly permissive, some non-commercial,
share-alike, vendor terms and unknown, as ``benchmarks.md`` asks; API models carry their
vendor's terms, so data they generate inherits them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.supply_chain import DATASET, FINE_TUNED_FROM, KIND_NAMES, MODEL, REL_NAMES, Graph

__all__ = ["Enriched", "enrich", "node_id", "write_ndjson"]

# (license id or None for "declares nothing", weight) per kind.
SOURCE_LICENSES: tuple[tuple[str | None, float], ...] = (
    ("CC-BY-4.0", 0.30),
    ("CC0-1.0", 0.20),
    ("CC-BY-SA-4.0", 0.10),
    ("CC-BY-NC-4.0", 0.05),
    (None, 0.35),
)
DATASET_LICENSES: tuple[tuple[str | None, float], ...] = (
    ("MIT", 0.20),
    ("Apache-2.0", 0.20),
    ("CC-BY-4.0", 0.20),
    ("CC-BY-SA-4.0", 0.07),
    ("CC-BY-NC-4.0", 0.08),
    ("ODC-By-1.0", 0.05),
    ("CDLA-Permissive-2.0", 0.05),
    ("LicenseRef-unclear", 0.05),
    (None, 0.10),
)
OPEN_MODEL_LICENSES: tuple[tuple[str | None, float], ...] = (
    ("Apache-2.0", 0.50),
    ("MIT", 0.20),
    ("LicenseRef-scancode-llama-3.1-license-2024", 0.20),
    ("LicenseRef-creativeml-openrail-m", 0.10),
)
# API models: (vendor, terms, family)
VENDORS: tuple[tuple[str, str, str], ...] = (
    ("OpenAI", "LicenseRef-openai-terms", "gpt"),
    ("Anthropic", "LicenseRef-anthropic-terms", "claude"),
    ("Google", "LicenseRef-gemini-api-terms", "gemini"),
)
OPEN_FAMILIES = ("llama", "mistral", "qwen", "olmo")
API_MODEL_SHARE = 0.30
COMMERCIAL_RELEASE_SHARE = 0.30
HUMAN_SOURCE_SHARE = 0.85
FINE_TUNE_METHODS = ("finetune", "adapter", "distill", "quantize", "merge")


def node_id(prefix: str, kind: int, index: int) -> str:
    """Self-explanatory ids in Neo4j Browser, e.g. ``bench:model-982360``."""
    return f"{prefix}{KIND_NAMES[kind]}-{index}"


@dataclass
class Enriched:
    """Per-node and per-edge attributes (parallel to the graph's arrays)."""

    graph: Graph
    prefix: str
    license: list[str | None]
    records: npt.NDArray[np.int64]  # per node (datasets and sources)
    api_model: npt.NDArray[np.bool_]
    vendor: npt.NDArray[np.int64]  # index into VENDORS (API) or OPEN_FAMILIES (open)
    release: npt.NDArray[np.bool_]  # declared commercial + public
    human: npt.NDArray[np.bool_]
    edge_records: npt.NDArray[np.int64]  # per edge (0: not given)

    def ids(self) -> list[str]:
        kinds = self.graph.kind.tolist()
        return [node_id(self.prefix, k, i) for i, k in enumerate(kinds)]


def _pick(
    rng: np.random.Generator, n: int, table: tuple[tuple[str | None, float], ...]
) -> list[str | None]:
    weights = np.array([w for _, w in table])
    idx = np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(n), side="right")
    names = [name for name, _ in table]
    return [names[min(int(i), len(names) - 1)] for i in idx]


def enrich(graph: Graph, *, prefix: str = "bench:", seed: int = 42) -> Enriched:
    rng = np.random.default_rng(seed + 1)
    n = graph.n
    kind = graph.kind
    api_model = (kind == MODEL) & (rng.random(n) < API_MODEL_SHARE)
    vendor = np.where(
        api_model,
        np.floor(rng.random(n) * len(VENDORS)),
        np.floor(rng.random(n) * len(OPEN_FAMILIES)),
    ).astype(np.int64)
    release = (kind != 0) & ~api_model & (rng.random(n) < COMMERCIAL_RELEASE_SHARE)
    human = rng.random(n) < HUMAN_SOURCE_SHARE
    records = np.floor(1000 * (1.0 - rng.random(n)) ** (-1.0 / 1.5)).astype(np.int64)

    source_l = _pick(rng, n, SOURCE_LICENSES)
    dataset_l = _pick(rng, n, DATASET_LICENSES)
    model_l = _pick(rng, n, OPEN_MODEL_LICENSES)
    licenses: list[str | None] = []
    for i, k in enumerate(kind.tolist()):
        if k == MODEL:
            licenses.append(VENDORS[vendor[i]][1] if api_model[i] else model_l[i])
        elif k == DATASET:
            licenses.append(dataset_l[i])
        else:
            licenses.append(source_l[i])

    # Records a child took from each parent: a share of the child's records (data edges only).
    share = 0.2 + 0.8 * rng.random(graph.child.size)
    edge_records = np.where(
        graph.rel == FINE_TUNED_FROM, 0, np.maximum(1, records[graph.child] * share)
    ).astype(np.int64)
    edge_records[kind[graph.child] == MODEL] = records[graph.parent][kind[graph.child] == MODEL]
    edge_records[graph.rel == FINE_TUNED_FROM] = 0
    return Enriched(
        graph, prefix, licenses, records, api_model, vendor, release, human, edge_records
    )


def _node(e: Enriched, i: int, ident: str) -> dict[str, object]:
    k = int(e.graph.kind[i])
    rec: dict[str, object] = {"node": KIND_NAMES[k], "id": ident}
    if k == MODEL:
        if e.api_model[i]:
            vendor, _, family = VENDORS[int(e.vendor[i])]
            rec.update(name=f"{family}-{i}", vendor=vendor, family=family, weights="api")
        else:
            family = OPEN_FAMILIES[int(e.vendor[i])]
            rec.update(name=f"{family}-ft-{i}", family=family, weights="open")
        rec["model_type"] = "llm"
    elif k == DATASET:
        rec.update(name=f"dataset {i}", records=int(e.records[i]), modality="text")
    else:
        human = bool(e.human[i])
        label = "human-written corpus" if human else "machine log"
        rec.update(name=f"{label} {i}", human=human, records=int(e.records[i]))
    if e.license[i] is not None:
        rec["license"] = e.license[i]
    if k != 0 and e.release[i]:
        rec.update(intended_use="commercial", distribution="public")
    return rec


def ndjson_lines(e: Enriched) -> Iterator[str]:
    """Nodes first, then edges (the format allows any order; this is the natural dump)."""
    ids = e.ids()
    for i, ident in enumerate(ids):
        yield json.dumps(_node(e, i, ident), separators=(",", ":"))
    g = e.graph
    for j, (c, p, r) in enumerate(
        zip(g.child.tolist(), g.parent.tolist(), g.rel.tolist(), strict=True)
    ):
        rec: dict[str, object] = {"edge": REL_NAMES[r], "from": ids[c], "to": ids[p]}
        if r == FINE_TUNED_FROM:
            rec["method"] = FINE_TUNE_METHODS[j % len(FINE_TUNE_METHODS)]
        elif e.edge_records[j]:
            rec["records"] = int(e.edge_records[j])
        yield json.dumps(rec, separators=(",", ":"))


def write_ndjson(e: Enriched, path: str) -> int:
    """Write the NDJSON file; returns the number of lines."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for line in ndjson_lines(e):
            out.write(line + "\n")
            count += 1
    return count
