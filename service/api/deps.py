"""FastAPI dependencies: the store, connected on first use and shared by requests."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = ["StoreDep", "StoreHolder"]


class StoreHolder:
    """Connects lazily so the API starts (and answers 503) while Neo4j is still down."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self._settings = settings
        self._store = store
        self._schema_ready = False
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.connect(self._settings)
            if not self._schema_ready:
                self._store.ensure_schema()
                self._schema_ready = True
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def _store(request: Request) -> Store:
    holder: StoreHolder = request.app.state.stores
    return holder.get()


StoreDep = Annotated[Store, Depends(_store)]
