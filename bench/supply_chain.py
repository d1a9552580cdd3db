"""The reference synthetic AI supply-chain generator, ported with identical output.

Ported from ``shared/bench/supply_chain_gen.py`` (the generator the anchor figures of
``benchmarks.md`` were measured on): same algorithm, same random stream, same arrays, so
``digest()`` equals the reference's sha256 for every size (``REFERENCE_DIGESTS`` records the
reference's own digests; ``python -m bench`` refuses to run on a graph that does not match).
Changes from the reference: type hints, no CSV writer or CLI (``bench.enrich`` writes
provgraph's NDJSON instead), and ``query_nodes`` samples ``min(200, pool)`` nodes so that
sizes below 100k (the smoke test) work; at 100k and 1M the calls and results are the same.

Graph model: ``n_layers`` layers, node ids in layer order; layer 0 human sources; every
non-source node has 2..5 parents picked by kind, by a geometric (or uniform far) layer
distance and by Pareto popularity, which makes many converging paths. Edges point upstream
as (child, parent) with a relationship type fixed by the two kinds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "KIND_NAMES",
    "LADDER_DIGESTS",
    "REFERENCE_DIGESTS",
    "REL_NAMES",
    "Graph",
    "QueryNode",
    "diamond_ladder",
    "digest",
    "generate",
    "query_nodes",
]

KIND_NAMES = ("source", "dataset", "model")
SOURCE, DATASET, MODEL = 0, 1, 2
REL_NAMES = ("DERIVED_FROM", "GENERATED_BY", "TRAINED_ON", "FINE_TUNED_FROM")
DERIVED_FROM, GENERATED_BY, TRAINED_ON, FINE_TUNED_FROM = 0, 1, 2, 3

# sha256 printed by the reference generator (seed 42, 50 layers, numpy 2.x) for each size.
REFERENCE_DIGESTS: dict[int, str] = {
    2_000: "acd0c1bb075f51e0bc4e2de3de207fff3c5733b311b0d135ffacc0f136069923",
    10_000: "e6512f5d858c415776461db4540f7e1910b56b154c56875c0862c9434621edd9",
    100_000: "a9fe0cc8df462d5e5c6da4215068b999d910da1472016ca3246d81448e361cd6",
    1_000_000: "a34c61ee74d1f6534b70709f90b56d7522bc60c8005ecbeb6aa471bb800a43f8",
}
LADDER_DIGESTS: dict[int, str] = {
    40: "1ba4b19e6157891a9d52bb065203fbd10cbd9404fc9c92fc735d3d026acca03c",
}

# kind mix for layers >= 2 (layer 1: no models, renormalised)
P_KIND = (0.15, 0.55, 0.30)
# parent-kind mix per child kind (rows: child kind; cols: source, dataset, model)
P_PARENT_KIND = {
    DATASET: (0.40, 0.45, 0.15),
    MODEL: (0.00, 0.80, 0.20),
}

IntArray = npt.NDArray[np.int64]


@dataclass
class Graph:
    """Node arrays (layer, kind, weight) and upstream edge arrays (child, parent, rel)."""

    layer: npt.NDArray[np.int32]
    kind: npt.NDArray[np.int8]
    weight: npt.NDArray[np.float64]
    child: IntArray
    parent: IntArray
    rel: npt.NDArray[np.int8]
    params: dict[str, Any]

    @property
    def n(self) -> int:
        return int(self.kind.size)


@dataclass(frozen=True)
class QueryNode:
    node: int
    direction: str  # "up" | "down"
    closure: int  # closure size, start node excluded


def _choice_from_cdf(u: npt.NDArray[np.float64], probs: tuple[float, ...]) -> npt.NDArray[np.int8]:
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    cdf /= cdf[-1]
    return np.searchsorted(cdf, u, side="right").astype(np.int8)


def generate(
    n_nodes: int,
    n_layers: int = 50,
    seed: int = 42,
    alpha: float = 1.2,
    p_back: float = 0.4,
    p_far: float = 0.15,
    min_fanin: int = 2,
    max_fanin: int = 5,
) -> Graph:
    """The reference graph of ``n_nodes`` nodes (identical arrays for identical arguments)."""
    rng = np.random.default_rng(seed)
    n = int(n_nodes)
    sizes = np.full(n_layers, n // n_layers, dtype=np.int64)
    sizes[: n % n_layers] += 1
    layer = np.repeat(np.arange(n_layers, dtype=np.int32), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)])

    # node kinds
    u = rng.random(n)
    kind = _choice_from_cdf(u, P_KIND)
    kind[layer == 0] = SOURCE
    l1 = layer == 1
    kind[l1] = _choice_from_cdf(u[l1], (P_KIND[0], P_KIND[1] + P_KIND[2]))  # source|dataset
    # popularity weights: Pareto(alpha) via inverse CDF
    weight = (1.0 - rng.random(n)) ** (-1.0 / alpha)

    # fan-in per non-source node
    fanin = np.where(
        kind == SOURCE,
        0,
        min_fanin + np.floor(rng.random(n) * (max_fanin - min_fanin + 1)).astype(np.int64),
    )
    child = np.repeat(np.arange(n, dtype=np.int64), fanin)
    m = child.size
    ckind = kind[child]
    clayer = layer[child].astype(np.int64)

    # parent kind per slot
    u = rng.random(m)
    pkind = np.empty(m, dtype=np.int8)
    for ck, probs in P_PARENT_KIND.items():
        sel = ckind == ck
        pkind[sel] = _choice_from_cdf(u[sel], probs)
    # layer-1 datasets can only derive from sources (no earlier datasets/models)
    pkind[(clayer == 1)] = SOURCE

    # parent layer: geometric distance back, or uniform far jump
    u_far, u_d = rng.random(m), rng.random(m)
    d_geo = 1 + np.floor(np.log1p(-u_d) / np.log1p(-p_back)).astype(np.int64)
    d_uni = 1 + np.floor(u_d * clayer).astype(np.int64)
    dist = np.where(u_far < p_far, d_uni, d_geo)
    min_layer = np.where(pkind == SOURCE, 0, 1)  # datasets/models exist from layer 1 on
    player = np.maximum(clayer - dist, min_layer)
    # guard: model-kind parents need layer >= 2 (layer 1 holds no models)
    player = np.where((pkind == MODEL) & (player < 2), 2, player)
    bad = player >= clayer  # e.g. model child in layer 2 asking for a model parent
    pkind[bad & (pkind == MODEL)] = DATASET
    player = np.where(bad, np.maximum(clayer - 1, np.where(pkind == SOURCE, 0, 1)), player)

    # parent node: popularity-weighted pick inside the (layer, kind) pool
    u = rng.random(m)
    parent = np.full(m, -1, dtype=np.int64)
    key = player * 3 + pkind
    order = np.argsort(key, kind="stable")
    skey = key[order]
    bounds = np.flatnonzero(np.diff(skey)) + 1
    for grp in np.split(order, bounds):
        if grp.size == 0:
            continue
        layer_of, kind_of = divmod(int(key[grp[0]]), 3)
        pool = np.arange(start[layer_of], start[layer_of + 1])
        pool = pool[kind[pool] == kind_of]
        if pool.size == 0:  # extremely unlikely; fall back to any node of that layer
            pool = np.arange(start[layer_of], start[layer_of + 1])
        cw = np.cumsum(weight[pool])
        idx = np.searchsorted(cw, u[grp] * cw[-1], side="right")
        parent[grp] = pool[np.minimum(idx, pool.size - 1)]
    if not ((parent >= 0).all() and (layer[parent] < layer[child]).all()):
        raise AssertionError("generator invariant broken: a parent is not in an earlier layer")

    # drop duplicate (child, parent) pairs, keep child-major order
    pair = child * n + parent
    _, first = np.unique(pair, return_index=True)
    first.sort()
    child, parent = child[first], parent[first]
    pk = kind[parent]
    ck_ = kind[child]
    rel = np.full(child.size, DERIVED_FROM, dtype=np.int8)
    rel[(ck_ == DATASET) & (pk == MODEL)] = GENERATED_BY
    rel[(ck_ == MODEL) & (pk == DATASET)] = TRAINED_ON
    rel[(ck_ == MODEL) & (pk == MODEL)] = FINE_TUNED_FROM
    params = {
        "n_nodes": n,
        "n_layers": n_layers,
        "seed": seed,
        "alpha": alpha,
        "p_back": p_back,
        "p_far": p_far,
        "fanin": (min_fanin, max_fanin),
    }
    return Graph(layer, kind, weight, child, parent, rel, params)


def diamond_ladder(k: int = 40) -> Graph:
    """Ladder of k diamonds: a_i = 3i (i=0..k), b_i = 3i+1, c_i = 3i+2 (i<k); 2**k paths."""
    child: list[int] = []
    parent: list[int] = []
    for i in range(k):
        a, b, c, a2 = 3 * i, 3 * i + 1, 3 * i + 2, 3 * (i + 1)
        child += [b, c, a2, a2]
        parent += [a, a, b, c]
    n = 3 * k + 1
    kind = np.full(n, DATASET, dtype=np.int8)
    kind[0] = SOURCE
    layer = np.zeros(n, dtype=np.int32)
    return Graph(
        layer=layer,
        kind=kind,
        weight=np.ones(n),
        child=np.array(child, dtype=np.int64),
        parent=np.array(parent, dtype=np.int64),
        rel=np.full(len(child), DERIVED_FROM, dtype=np.int8),
        params={"ladder": k, "top": 0, "bottom": 3 * k},
    )


def digest(g: Graph) -> str:
    """sha256 over kind, child, parent, rel: equal to the reference's for the same graph."""
    h = hashlib.sha256()
    for array in (g.kind, g.child, g.parent, g.rel):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def query_nodes(g: Graph, sample_seed: int = 7) -> dict[str, QueryNode]:
    """The benchmark query nodes (as the reference picks them).

    up-large  : last layer, the max-ancestor node among 200 sampled
    up-mid    : middle layer non-source, median ancestor count among 200 sampled
    down-large: layer-0 source with the most descendants among the 20 most-reused
    down-mid  : middle layer node with >= 1 child, median descendant count among 200 sampled
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    n = g.n
    c, p, layer = g.child, g.parent, g.layer
    ones = np.ones(c.size)
    up = sp.csr_matrix((ones, (c, p)), shape=(n, n))
    dn = sp.csr_matrix((ones, (p, c)), shape=(n, n))

    def bfs(matrix: Any, x: int) -> int:
        order = breadth_first_order(matrix, int(x), directed=True, return_predecessors=False)
        return int(order.size) - 1

    def sample(pool: IntArray) -> IntArray:
        return rng.choice(pool, min(200, pool.size), replace=False)

    rng = np.random.default_rng(sample_seed)
    nchild = np.bincount(p, minlength=n)
    q: dict[str, QueryNode] = {}
    samp = sample(np.flatnonzero(layer == layer.max()))
    sz = np.array([bfs(up, x) for x in samp])
    q["up-large"] = QueryNode(int(samp[sz.argmax()]), "up", int(sz.max()))
    mid = int(layer.max()) // 2
    samp = sample(np.flatnonzero((layer == mid) & (g.kind != SOURCE)))
    sz = np.array([bfs(up, x) for x in samp])
    i = np.argsort(sz)[len(sz) // 2]
    q["up-mid"] = QueryNode(int(samp[i]), "up", int(sz[i]))
    src0 = np.flatnonzero(layer == 0)
    top = src0[np.argsort(-nchild[src0], kind="stable")[:20]]
    ds = np.array([bfs(dn, x) for x in top])
    q["down-large"] = QueryNode(int(top[ds.argmax()]), "down", int(ds.max()))
    samp = sample(np.flatnonzero((layer == mid) & (nchild > 0)))
    ds = np.array([bfs(dn, x) for x in samp])
    i = np.argsort(ds)[len(ds) // 2]
    q["down-mid"] = QueryNode(int(samp[i]), "down", int(ds[i]))
    return q
