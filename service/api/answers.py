"""Serialized answers about now, kept per graph epoch: the JSON bytes of a GET, reused while
the lineage snapshot it was computed under is still fresh.

Exact under the rule every index answer follows (``lineage_index.EpochCache``): each request
reads the graph epoch first, and a write through provgraph, or time passing an edge's
``valid_from``/``valid_to``, retires every kept answer. A hit then costs that one epoch read
instead of the page query, its decoding, validation and serialization (docs/benchmarks.md).
Bytes, not models: a 100-node page is ~40 KB of JSON but several times that as objects.

A request with ``Cache-Control: no-cache`` (or ``Pragma: no-cache``) is computed afresh and
not kept, as HTTP caches do; the benchmark measures the query path that way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from fastapi import Request, Response
from pydantic import BaseModel

from provgraph.service.lineage_index import EpochCache
from provgraph.service.store import Store

__all__ = ["ANSWERS", "MAX_ANSWER_BYTES", "cached_json"]

# 256 answers of at most 256 KB: at most 64 MB, ~10 MB for 100-node pages of the benchmark.
MAX_ANSWER_BYTES = 256 * 1024
ANSWERS = EpochCache(max_entries=256, max_items=MAX_ANSWER_BYTES)


def _wants_fresh(request: Request) -> bool:
    directives = request.headers.get("cache-control", "") + "," + request.headers.get("pragma", "")
    return any(part.strip().lower() == "no-cache" for part in directives.split(","))


def cached_json(
    request: Request, store: Store, key: Hashable, compute: Callable[[], BaseModel]
) -> Response:
    """``compute()``'s JSON, from the epoch cache when the graph has not changed since."""

    def body() -> bytes:
        return compute().model_dump_json(by_alias=True).encode()

    data = body() if _wants_fresh(request) else ANSWERS.get(store, key, body, size=len)
    return Response(data, media_type="application/json")
