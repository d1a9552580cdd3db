"""Running a check: index the references, stream the dataset through the workers, add up.

The main process reads and parses records and hands batches to a pool of worker processes
(forked, so they share the reference indexes without copying them); results come back in
order, so row indexes and "earlier record" stay well defined. ``workers=1`` runs everything
in-process.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from provgraph.service.checks.features import (
    LENGTH_BINS,
    VOCAB_BUCKETS,
    BatchFeatures,
    FeatureConfig,
    Flag,
    compute_features,
    length_histogram,
    lsh_params,
)
from provgraph.service.checks.index import (
    IndexBuilder,
    ReferenceIndex,
    jensen_shannon,
    reference_ngrams,
)
from provgraph.service.checks.models import (
    Boilerplate,
    CheckReport,
    CheckRequest,
    DataInput,
    Divergence,
    FormatErrors,
    Matches,
    NearDuplicates,
    NgramOverlap,
)
from provgraph.service.checks.patterns import PatternSet, load_patterns
from provgraph.service.checks.readers import (
    RawLines,
    Row,
    TextSelector,
    detect_format,
    jsonl_raw_batches,
    read_rows,
    row_count,
)
from provgraph.service.checks.thresholds import evaluate_thresholds
from provgraph.service.checks.within import WithinDuplicates

__all__ = ["BATCH", "Progress", "run_check"]

BATCH = 2048
Progress = Callable[[str, int, int | None], None]
_KINDS = ("exact_duplicate", "near_duplicate", "ngram_overlap", "format_error", "boilerplate")
_BIT = {kind: 1 << i for i, kind in enumerate(_KINDS)}

# Worker state: set before the pool forks (or in-process), read by _work. One run at a time
# per process (the lock), since the state is global.
_STATE: dict[str, Any] = {}
_RUN_LOCK = threading.Lock()


def _label(data: DataInput) -> str:
    return data.id or data.path


Batch = list[Row] | RawLines


def _input_batches(
    data: DataInput, request: CheckRequest, seen: Callable[[int], None]
) -> Iterator[Batch]:
    """The batches of one input; JSONL goes as raw lines (the workers parse it), the other
    formats as parsed rows. ``seen`` gets the number of rows read so far."""
    path = Path(data.path)
    selector = TextSelector(request.text_field, request.template)
    if detect_format(path, data.format) == "jsonl":
        for raw in jsonl_raw_batches(path, selector, BATCH):
            seen(raw.start + len(raw.lines))
            yield raw
        return
    for batch in _batches(read_rows(path, data.format, selector)):
        seen(batch[-1].index + 1)
        yield batch


def _batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    """Rows in batches of ``BATCH`` texts (rows without a text ride along: format errors)."""
    batch: list[Row] = []
    texts = 0
    for row in rows:
        batch.append(row)
        texts += row.text is not None
        if texts >= BATCH:
            yield batch
            batch, texts = [], 0
    if batch:
        yield batch


def _work(batch: Batch) -> tuple[BatchFeatures, list[Flag], dict[str, int]]:
    """Features of a batch and its flags, in row order (runs in a worker process)."""
    if isinstance(batch, RawLines):
        texts, errors = batch.texts()
    else:
        texts = [(row.index, row.text) for row in batch if row.text is not None]
        errors = [(row.index, row.error) for row in batch if row.error is not None]
    config: FeatureConfig = _STATE["config"]
    patterns: PatternSet | None = _STATE["patterns"]
    features = compute_features(texts, config, patterns)
    flags: list[Flag] = [
        (index, "format_error", None, None, None, f"{kind}: {detail}")
        for index, (kind, detail) in errors
    ]
    flags += features.flags
    matched: dict[str, int] = {}
    for index in _STATE["references"]:
        found, count = index.match(features, jaccard=_STATE["jaccard"])
        flags += found
        matched[index.name] = count
    flags.sort(key=lambda flag: flag[0])  # stable: per record, in the order found
    if _STATE["indexing"]:  # a reference: deduplicate its n-grams here, in parallel
        features.ngrams, features.ngram_rows = reference_ngrams(features)
    else:
        features.ngrams = np.zeros(0, dtype=np.uint64)  # not needed back in the parent
    features.ngram_owner = np.zeros(0, dtype=np.int64)
    return features, flags, matched


def _mapped(
    batches: Iterable[Batch], workers: int
) -> Iterator[tuple[BatchFeatures, list[Flag], dict[str, int]]]:
    if workers <= 1:
        yield from map(_work, batches)
        return
    # Pool.imap reads its input as fast as it can: without a bound on the batches in flight
    # a fast reader would pull the whole file into memory while the workers lag behind.
    in_flight = threading.BoundedSemaphore(workers * 3)

    def bounded() -> Iterator[Batch]:
        for batch in batches:
            in_flight.acquire()
            yield batch

    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        for result in pool.imap(_work, bounded(), chunksize=1):
            in_flight.release()
            yield result


class _Tally:
    """Per-record kind bits (one byte a record) and per-reference counts."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.by_ref: dict[str, Counter[str]] = {kind: Counter() for kind in _KINDS}
        self.within: Counter[str] = Counter()
        self.format_kinds: Counter[str] = Counter()
        self.patterns: Counter[str] = Counter()
        self.vendors: Counter[str] = Counter()

    def add(self, flag: Flag, dataset: str) -> None:
        record, kind, reference, _, _, detail = flag
        if record >= len(self.bits):
            self.bits.extend(bytes(max(record + 1 - len(self.bits), 65536)))
        self.bits[record] |= _BIT[kind]
        if kind == "format_error":
            self.format_kinds[(detail or "unparseable").split(":", 1)[0]] += 1
        elif kind == "boilerplate":
            self.patterns[detail or "?"] += 1
            if reference is not None:
                self.vendors[reference] += 1
        elif reference == dataset:
            self.within[kind] += 1
        elif reference is not None:
            self.by_ref[kind][reference] += 1

    def count(self, kind: str) -> int:
        if not self.bits:
            return 0
        bit = _BIT[kind]
        values = np.frombuffer(bytes(self.bits), dtype=np.uint8)
        return int(np.count_nonzero(values & bit))


def _write(details: IO[str] | None, flag: Flag) -> None:
    if details is None:
        return
    record, kind, reference, ref_record, score, detail = flag
    if kind == "boilerplate":
        reference, detail = None, detail if reference is None else f"{detail} ({reference})"
    line = {
        "record": record,
        "kind": kind,
        "reference": reference,
        "reference_record": ref_record,
        "score": score,
        "detail": detail,
    }
    details.write(json.dumps(line, ensure_ascii=False) + "\n")


def _index_reference(
    data: DataInput,
    request: CheckRequest,
    config: FeatureConfig,
    workers: int,
    progress: Progress | None,
) -> ReferenceIndex:
    path = Path(data.path)
    builder = IndexBuilder(_label(data), config.bands)
    phase = f"index {path.name}"
    total = row_count(path, data.format)
    seen = 0

    def count(rows: int) -> None:
        nonlocal seen
        seen = rows

    for features, _, _ in _mapped(_input_batches(data, request, count), workers):
        builder.add(features, seen)
        if progress is not None:
            progress(phase, seen, total)
    return builder.build()


def run_check(
    request: CheckRequest,
    *,
    check_id: str | None = None,
    progress: Progress | None = None,
    details: IO[str] | None = None,
    workers: int | None = None,
) -> CheckReport:
    """Compute every metric of ``request`` (nothing is written to the graph here)."""
    with _RUN_LOCK:
        try:
            return _run(request, check_id, progress, details, workers)
        finally:
            _STATE.clear()


def _run(
    request: CheckRequest,
    check_id: str | None,
    progress: Progress | None,
    details: IO[str] | None,
    workers: int | None,
) -> CheckReport:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    workers = workers or min(2, os.cpu_count() or 1)
    patterns = load_patterns(request.patterns)
    bands, rows_per_band = lsh_params(request.jaccard, request.num_perm)
    config = FeatureConfig(request.ngram, request.shingle, request.num_perm, bands, rows_per_band)
    dataset = _label(request.dataset)
    names = [_label(r) for r in request.references]
    if len(set(names)) != len(names) or dataset in names:
        raise_duplicate(names, dataset)
    _STATE.update(
        config=config, patterns=None, references=[], jaccard=request.jaccard, indexing=True
    )
    references = [
        _index_reference(r, request, config, workers, progress) for r in request.references
    ]
    _STATE.update(patterns=patterns, references=references, indexing=False)
    tally = _Tally()
    within = WithinDuplicates(
        dataset, bands=bands, num_perm=request.num_perm, jaccard=request.jaccard
    )
    lengths = np.zeros(LENGTH_BINS, dtype=np.int64)
    vocab = np.zeros(VOCAB_BUCKETS, dtype=np.int64)
    ngrams_matched = 0
    records = 0

    def counted(rows: int) -> None:
        nonlocal records
        records = rows

    total = row_count(Path(request.dataset.path), request.dataset.format)
    stream = _input_batches(request.dataset, request, counted)
    try:
        for features, flags, matched in _mapped(stream, workers):
            within.add(features)
            lengths += length_histogram(features.lengths)
            vocab += features.vocab
            ngrams_matched += sum(matched.values())
            for flag in flags:
                tally.add(flag, dataset)
                _write(details, flag)
            if progress is not None:
                progress("check", records, total)
        if progress is not None:
            progress("duplicates within", 0, None)
        for flag in within.finish():
            tally.add(flag, dataset)
            _write(details, flag)
    finally:
        within.close()
    return _report(
        request,
        check_id,
        started,
        clock,
        records,
        tally,
        references,
        lengths,
        vocab,
        ngrams_matched,
    )


def raise_duplicate(names: list[str], dataset: str) -> None:
    from provgraph.service.errors import InvalidInput

    raise InvalidInput(
        f"references must differ from each other and from the dataset {dataset!r}: {names}"
    )


def _rate(count: int, records: int) -> float:
    return round(count / records, 6) if records else 0.0


def _report(
    request: CheckRequest,
    check_id: str | None,
    started: datetime,
    clock: float,
    records: int,
    tally: _Tally,
    references: list[ReferenceIndex],
    lengths: np.ndarray,
    vocab: np.ndarray,
    ngrams_matched: int,
) -> CheckReport:
    def matches(kind: str) -> dict[str, Any]:
        count = tally.count(kind)
        return {
            "count": count,
            "rate": _rate(count, records),
            "within": tally.within[kind],
            "by_reference": {r.name: tally.by_ref[kind][r.name] for r in references},
        }

    elapsed = time.perf_counter() - clock
    report = CheckReport(
        id=check_id or str(uuid.uuid4()),
        dataset=_label(request.dataset),
        dataset_path=request.dataset.path,
        references=[r.name for r in references],
        records=records,
        reference_records={r.name: r.records for r in references},
        exact_duplicates=Matches(**matches("exact_duplicate")),
        near_duplicates=NearDuplicates(
            **matches("near_duplicate"),
            jaccard=request.jaccard,
            shingle=request.shingle,
            num_perm=request.num_perm,
        ),
        ngram_overlap=NgramOverlap(
            **{**matches("ngram_overlap"), "within": 0},
            n=request.ngram,
            ngrams_matched=ngrams_matched,
        ),
        format_errors=FormatErrors(
            count=tally.count("format_error"),
            rate=_rate(tally.count("format_error"), records),
            by_kind=dict(sorted(tally.format_kinds.items())),
        ),
        boilerplate=Boilerplate(
            count=tally.count("boilerplate"),
            rate=_rate(tally.count("boilerplate"), records),
            by_pattern=dict(tally.patterns.most_common()),
            self_identification=dict(tally.vendors.most_common()),
        ),
        divergence=[
            Divergence(
                reference=r.name,
                length=jensen_shannon(lengths, r.lengths),
                vocabulary=jensen_shannon(vocab, r.vocab),
            )
            for r in references
        ],
        recorded=False,
        started_at=started,
        finished_at=datetime.now(UTC),
        records_per_second=round(records / elapsed, 1) if elapsed > 0 else 0.0,
    )
    report.findings = evaluate_thresholds(report, request.thresholds)
    return report
