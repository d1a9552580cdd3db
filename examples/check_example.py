"""Stand-alone sanity check for an NDJSON lineage file (no provgraph, no Neo4j needed).

    python examples/check_example.py examples/llm-supply-chain.ndjson [--ancestors ID ...]

Checks each line against the ingest contract in shared/design/architecture.md (fields, enums,
ids), then the whole file: unique ids, defined endpoints, edge kinds joining the right node
kinds, no self-loops, a DAG. Prints one line per error as `LINE: reason`; exit code 1 on error.
It mirrors the contract for the examples only; the real validator lives in provgraph.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict, deque
from typing import Any

Edges = list[tuple[int, dict[str, Any]]]

ENUMS = {
    "node": {"dataset", "model", "source"},
    "intended_use": {"commercial", "non-commercial", "research"},
    "distribution": {"none", "internal", "public", "hosted-service"},
    "model_type": {"llm", "text-to-image", "classifier", "embedding"},
    "weights": {"open", "api"},
    "modality": {"text", "image", "audio", "video", "multimodal"},
    "method": {"finetune", "adapter", "distill", "quantize", "merge"},
}
NODE_FIELDS = {"node", "id", "name", "version", "license", "intended_use", "records", "uri"}
NODE_FIELDS |= {"distribution", "human", "vendor", "family", "model_type", "weights"}
NODE_FIELDS |= {"modality", "attrs"}
EDGE_FIELDS = {"edge", "from", "to", "records", "run", "valid_from", "transform", "split"}
EDGE_FIELDS |= {"method", "prompt_template"}
# edge kind -> (allowed kind of `from`, allowed kinds of `to`)
EDGE_KINDS = {
    "DERIVED_FROM": ("dataset", {"dataset", "source"}),
    "GENERATED_BY": ("dataset", {"model"}),
    "TRAINED_ON": ("model", {"dataset"}),
    "FINE_TUNED_FROM": ("model", {"model"}),
}


def line_error(obj: object) -> str | None:
    if not isinstance(obj, dict):
        return "not a JSON object"
    is_node = "node" in obj
    if is_node == ("edge" in obj):
        return "needs exactly one of 'node' or 'edge'"
    unknown = set(obj) - (NODE_FIELDS if is_node else EDGE_FIELDS)
    if unknown:
        return f"unknown field(s) {sorted(unknown)}"
    if is_node and not obj.get("id"):
        return "missing id"
    if not is_node and obj["edge"] not in EDGE_KINDS:
        return f"bad edge kind {obj['edge']!r}"
    if not is_node and not (obj.get("from") and obj.get("to")):
        return "edge needs 'from' and 'to'"
    for key, allowed in ENUMS.items():
        if key in obj and obj[key] not in allowed:
            return f"bad value {key}={obj[key]!r}"
    if "records" in obj and (type(obj["records"]) is not int or obj["records"] < 0):
        return "records must be an int >= 0"
    if "human" in obj and (type(obj["human"]) is not bool or obj.get("node") != "source"):
        return "human must be a bool on a source"
    if "attrs" in obj and not isinstance(obj["attrs"], dict):
        return "attrs must be an object"
    return None


def check(path: str) -> tuple[list[str], dict[str, str], Edges]:
    errors, kinds, edges = [], {}, []
    with open(path, encoding="utf-8") as fh:
        for no, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                errors.append(f"{no}: malformed JSON ({exc.msg})")
                continue
            if err := line_error(obj):
                errors.append(f"{no}: {err}")
            elif "node" in obj:
                if obj["id"] in kinds:
                    errors.append(f"{no}: duplicate id {obj['id']!r}")
                kinds[obj["id"]] = obj["node"]
            else:
                edges.append((no, obj))
    good: dict[str, set[str]] = defaultdict(set)
    accepted = []
    for no, e in edges:
        src, dst = e["from"], e["to"]
        if src not in kinds or dst not in kinds:
            missing = [x for x in (src, dst) if x not in kinds]
            errors.append(f"{no}: dangling edge, undefined {missing}")
        elif src == dst:
            errors.append(f"{no}: self-loop on {src!r}")
        elif kinds[src] != EDGE_KINDS[e["edge"]][0] or kinds[dst] not in EDGE_KINDS[e["edge"]][1]:
            errors.append(f"{no}: {e['edge']} cannot join {kinds[src]} -> {kinds[dst]}")
        else:
            good[src].add(dst)
            accepted.append((no, e))
    # Kahn's algorithm; whatever is left over sits on (or behind) a cycle.
    indeg = {n: 0 for n in kinds}
    for src in good:
        for dst in good[src]:
            indeg[dst] += 1
    queue = deque(n for n, d in indeg.items() if d == 0)
    while queue:
        for dst in good[queue.popleft()]:
            indeg[dst] -= 1
            if indeg[dst] == 0:
                queue.append(dst)
    stuck = {n for n, d in indeg.items() if d > 0}
    for no, e in accepted:  # an edge u -> v closes a cycle when v reaches u again
        if e["from"] in stuck and e["from"] in ancestors(e["to"], accepted):
            errors.append(f"{no}: edge on a cycle {e['from']} -> {e['to']}")
    errors.sort(key=lambda msg: int(msg.split(":", 1)[0]))
    return errors, kinds, edges


def ancestors(node: str, edges: Edges) -> set[str]:
    up = defaultdict(set)
    for _, e in edges:
        up[e["from"]].add(e["to"])
    seen: set[str] = set()
    todo = [node]
    while todo:
        for parent in up[todo.pop()] - seen:
            seen.add(parent)
            todo.append(parent)
    return seen


if __name__ == "__main__":
    args = sys.argv[1:]
    errors, kinds, edges = check(args[0])
    print("\n".join(errors) or f"ok: {len(kinds)} nodes, {len(edges)} edges, DAG")
    if "--ancestors" in args:
        for target in args[args.index("--ancestors") + 1 :]:
            print(f"{target}: {len(ancestors(target, edges))} distinct ancestors")
    sys.exit(1 if errors else 0)
