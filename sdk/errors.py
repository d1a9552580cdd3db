"""SDK errors::

SdkError                 base (a ProvgraphError: the CLI and tests treat it alike)
├── SinkNotConfigured    no sink given and none in the environment (and not disabled)
└── EventRejected        the receiver refused an event as invalid (4xx): not spooled
"""

from __future__ import annotations

from provgraph.service.errors import ProvgraphError

__all__ = ["EventRejected", "SdkError", "SinkNotConfigured"]


class SdkError(ProvgraphError):
    title = "SDK error"
    slug = "sdk"


class SinkNotConfigured(SdkError):
    title = "No sink configured"
    exit_code = 2


class EventRejected(SdkError):
    title = "Event rejected"

    def __init__(self, detail: str, *, event_id: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.event_id = event_id
        self.http_status = status
