"""What every command shares: consoles, JSON output, the store for one command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import Progress, ProgressColumn, TaskID

from provgraph.service.settings import Settings
from provgraph.service.store import Store

__all__ = ["DATE_FORMATS", "JsonOption", "connect", "err", "out", "phase_progress", "print_json"]

PhaseReport = Callable[[str, int, int | None], None]

out = Console()
err = Console(stderr=True, soft_wrap=True)  # one line per error, never wrapped mid-path

DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (the API's schema).")]


def print_json(model: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(model, BaseModel):
        data: Any = model.model_dump(mode="json", by_alias=True)
    elif isinstance(model, list):
        data = [
            m.model_dump(mode="json", by_alias=True) if isinstance(m, BaseModel) else m
            for m in model
        ]
    else:
        data = model
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@contextmanager
def connect(*, schema: bool = False) -> Iterator[Store]:
    """A store for one command; ``schema`` applies the constraints first (for writes)."""
    with Store.connect(Settings.from_env()) as store:
        store.verify()  # fail at once (exit 3) rather than after the driver's retries
        if schema:
            store.ensure_schema()
        yield store


@contextmanager
def phase_progress(columns: tuple[ProgressColumn | str, ...]) -> Iterator[PhaseReport]:
    """A transient progress bar on stderr with one task per phase a domain function reports
    (``report(phase, done, total)``)."""
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def report(phase: str, done: int, total: int | None) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield report
