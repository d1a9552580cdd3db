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

# Answers of at most 256 KB, 32 MB in all: ~800 of the benchmark's 100-node pages (~40 KB).
# Q6's 16 clients ask about 354 distinct things: 256 entries (the first bound) thrashed.
MAX_ANSWER_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
ANSWERS = EpochCache(max_entries=4096, max_items=MAX_ANSWER_BYTES, max_total=MAX_TOTAL_BYTES)


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
