"""`provgraph check` (run a datapoint check) and `provgraph checks` (the recorded ones)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from provgraph.cli.common import JsonOption, connect, err, out, phase_progress, print_json
from provgraph.service.checks.graph import latest_checks, latest_checks_of
from provgraph.service.checks.lineage import lineage_checks
from provgraph.service.checks.models import (
    CheckReport,
    CheckRequest,
    CheckSummary,
    DataInput,
    InputFormat,
    Thresholds,
)
from provgraph.service.checks.run import check_dataset, validate_request
from provgraph.service.errors import InvalidInput
from provgraph.service.models import Direction
from provgraph.service.store import Store

__all__ = [
    "check_command",
    "check_notes",
    "check_table",
    "checks_command",
    "latest_checks",
    "summary_table",
]


class _RecordsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} records/s" if speed else "", style="progress.data.speed")


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.completed:,} records"),
        _RecordsPerSecond(),
        TimeElapsedColumn(),
    )
    with phase_progress(columns) as report:
        yield report


def _thresholds(values: list[str]) -> Thresholds:
    data: dict[str, float] = {}
    for item in values:
        name, sep, rate = item.partition("=")
        if not sep or name not in Thresholds.model_fields:
            names = ", ".join(Thresholds.model_fields)
            raise typer.BadParameter(f"{item!r}: expected NAME=RATE with NAME one of {names}")
        try:
            data[name] = float(rate)
        except ValueError:
            raise typer.BadParameter(f"{item!r}: the rate must be a number") from None
    return Thresholds(**data)


def check_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="JSONL, CSV, Parquet or a Hugging Face save_to_disk directory."
        ),
    ],
    against: Annotated[
        list[str] | None,
        typer.Option("--against", metavar="REF", help="A reference file (repeatable)."),
    ] = None,
    reference_id: Annotated[
        list[str] | None,
        typer.Option(
            "--reference-id",
            metavar="ID",
            help="Artifact id of each --against, in the same order (needed to record).",
        ),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset", metavar="ID", help="Artifact id of FILE: records the check in the graph."
        ),
    ] = None,
    text_field: Annotated[
        str | None,
        typer.Option(
            "--text-field", help="Field holding the text (default: 'text', or the only string)."
        ),
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="Join several fields, e.g. '{instruction}\\n{output}'.")
    ] = None,
    input_format: Annotated[
        str, typer.Option("--format", help="auto, jsonl, csv, parquet or hf (for FILE).")
    ] = "auto",
    ngram: Annotated[int, typer.Option(help="n of the contamination n-grams.")] = 13,
    shingle: Annotated[int, typer.Option(help="Words per MinHash shingle.")] = 5,
    jaccard: Annotated[float, typer.Option(help="Near-duplicate Jaccard threshold.")] = 0.8,
    num_perm: Annotated[int, typer.Option(help="MinHash permutations.")] = 128,
    patterns: Annotated[
        Path | None, typer.Option(help="YAML file of extra boilerplate patterns.")
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold", metavar="NAME=RATE", help="Override a finding threshold (repeatable)."
        ),
    ] = None,
    details: Annotated[
        Path | None, typer.Option(help="Write one JSON line per flagged record here.")
    ] = None,
    no_record: Annotated[
        bool, typer.Option("--no-record", help="Do not write the :Check node even with --dataset.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Processes (default 2).")
    ] = None,
    fail_on: Annotated[
        str, typer.Option(help="Exit 1 on findings of this severity: error, warning or never.")
    ] = "never",
    as_json: JsonOption = False,
) -> None:
    """Check a dataset's records against references: duplicates, contamination, format
    errors, model boilerplate, distribution drift."""
    refs, ids = against or [], reference_id or []
    if ids and len(ids) != len(refs):
        raise typer.BadParameter(
            f"{len(ids)} --reference-id for {len(refs)} --against: give one per reference, in order"
        )
    if fail_on not in ("error", "warning", "never"):
        raise typer.BadParameter("--fail-on must be error, warning or never")
    if input_format not in ("auto", "jsonl", "csv", "parquet", "hf"):
        raise typer.BadParameter("--format must be auto, jsonl, csv, parquet or hf")
    fmt: InputFormat = input_format  # type: ignore[assignment]
    try:
        request = CheckRequest(
            dataset=DataInput(path=file, id=dataset, format=fmt),
            references=[DataInput(path=p, id=ids[i] if ids else None) for i, p in enumerate(refs)],
            text_field=text_field,
            template=template,
            ngram=ngram,
            shingle=shingle,
            jaccard=jaccard,
            num_perm=num_perm,
            patterns=str(patterns) if patterns else None,
            thresholds=_thresholds(threshold or []),
            record=not no_record,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    recording = dataset is not None and not no_record
    store_context = connect(schema=True) if recording else nullcontext(None)
    with store_context as store:
        validate_request(request, store)
        sink: IO[str] | Any = details.open("w", encoding="utf-8") if details else nullcontext()
        with sink as handle, _progress(not as_json) as progress:
            report = check_dataset(
                request,
                store=store,
                progress=progress,
                details=handle if details else None,
                workers=workers,
                validated=True,
            )
        if report.alerts_opened and store is not None:
            from provgraph.service.alerts import deliver_pending

            run = deliver_pending(store, max_wait=0)
            if not as_json:
                err.print(f"webhooks: {run.delivered} delivered, {run.pending} pending")
    if as_json:
        print_json(report)
    else:
        out.print(check_table(report))
        for finding in report.findings:
            colour = "red" if finding.severity == "error" else "yellow"
            out.print(
                f"[{colour}]{finding.severity}[/] {finding.rule}: {escape(finding.explanation)}",
                highlight=False,
            )
        if report.recorded:
            out.print(
                f"[green]recorded[/] check {report.id} on {escape(report.dataset)}"
                f" ({report.alerts_opened} new alert(s))"
            )
        else:
            out.print("[dim]not recorded: give --dataset ID (and --reference-id per reference)[/]")
    worst = {f.severity for f in report.findings}
    if (fail_on == "error" and "error" in worst) or (fail_on == "warning" and worst):
        raise typer.Exit(1)


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def check_table(report: CheckReport) -> Table:
    table = Table(
        title=f"check of {report.dataset} ({report.records:,} records, "
        f"{report.records_per_second:,.0f} records/s)"
    )
    table.add_column("metric")
    table.add_column("records", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("detail")

    def per_ref(counts: dict[str, int], within: int | None = None) -> str:
        parts = [f"{ref}: {n:,}" for ref, n in counts.items()]
        if within is not None:
            parts.insert(0, f"itself: {within:,}")
        return "; ".join(parts)

    e, n, g = report.exact_duplicates, report.near_duplicates, report.ngram_overlap
    table.add_row(
        "exact duplicates", f"{e.count:,}", _pct(e.rate), Text(per_ref(e.by_reference, e.within))
    )
    table.add_row(
        f"near duplicates (J>={n.jaccard:g})",
        f"{n.count:,}",
        _pct(n.rate),
        Text(per_ref(n.by_reference, n.within)),
    )
    table.add_row(
        f"{g.n}-gram overlap", f"{g.count:,}", _pct(g.rate), Text(per_ref(g.by_reference))
    )
    f = report.format_errors
    table.add_row(
        "format errors",
        f"{f.count:,}",
        _pct(f.rate),
        Text(", ".join(f"{k}: {v:,}" for k, v in f.by_kind.items())),
    )
    b = report.boilerplate
    vendors = ", ".join(f"{k}: {v:,}" for k, v in b.self_identification.items())
    table.add_row(
        "boilerplate",
        f"{b.count:,}",
        _pct(b.rate),
        Text(f"self-identification {vendors}" if vendors else ""),
    )
    for d in report.divergence:
        table.add_row(
            f"divergence vs {d.reference}",
            "",
            "",
            Text(f"length JS {d.length:.3f}, vocabulary JS {d.vocabulary:.3f}"),
        )
    return table


def summary_table(checks: list[CheckSummary], title: str = "latest checks") -> Table:
    table = Table(title=title)
    for column in (
        "dataset",
        "against",
        "finished",
        "records",
        "exact",
        "near",
        "n-gram",
        "format",
        "boilerplate",
        "JS",
        "findings",
    ):
        table.add_column(
            column, justify="right" if column not in ("dataset", "against") else "left"
        )
    for c in checks:
        table.add_row(
            Text(c.dataset),
            Text(", ".join(c.references) or "-"),
            c.finished_at.strftime("%Y-%m-%d %H:%M"),
            f"{c.records:,}",
            _pct(c.exact_duplicate_rate),
            _pct(c.near_duplicate_rate),
            _pct(c.ngram_overlap_rate),
            _pct(c.format_error_rate),
            _pct(c.boilerplate_rate),
            f"{c.max_divergence:.3f}",
            str(c.findings),
        )
    return table


def checks_command(
    artifact_id: Annotated[str, typer.Argument(metavar="ID", help="Artifact id.")],
    lineage: Annotated[
        Direction | None,
        typer.Option(help="Also the latest check of each upstream or downstream artifact."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Own checks to list.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """The latest recorded checks of an artifact (or of its lineage)."""
    with connect() as store:
        found = lineage_checks(store, artifact_id, direction=lineage, limit=limit)
    if as_json:
        print_json(found)
    elif not found:
        out.print(f"no checks recorded for {escape(artifact_id)}")
    else:
        out.print(summary_table(found))


def check_notes(store: Store, ids: list[str]) -> dict[str, str]:
    """One line per checked artifact for the lineage tree: its latest check's figures."""
    notes = {}
    for artifact_id, c in latest_checks_of(store, ids).items():
        against = ", ".join(c.references) or "itself"
        notes[artifact_id] = (
            f"check {c.finished_at:%Y-%m-%d} vs {against}: n-gram {_pct(c.ngram_overlap_rate)}, "
            f"dup {_pct(c.exact_duplicate_rate)}+{_pct(c.near_duplicate_rate)}, "
            f"{c.findings} finding(s)"
        )
    return notes
