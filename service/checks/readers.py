"""Streaming readers: JSONL, CSV, Parquet and Hugging Face `save_to_disk` directories.

Each yields one ``Row`` per record, in file order, with its 0-based index (line of a JSONL
file, data row of a CSV, row of a Parquet or Arrow table), so memory stays bounded by one
batch whatever the file's size. A row that cannot give a text carries a format error instead
(unparseable, schema mismatch, encoding damage); the text checks (empty, truncated, mojibake)
are in ``formats``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from provgraph.service.checks.models import InputFormat
from provgraph.service.errors import InvalidInput

__all__ = [
    "RawLines",
    "Row",
    "TextSelector",
    "detect_format",
    "jsonl_raw_batches",
    "read_rows",
    "row_count",
]

BATCH_ROWS = 4096
_SUFFIXES: dict[str, InputFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True, slots=True)
class Row:
    index: int
    text: str | None
    error: tuple[str, str] | None = None  # (kind, detail)


class TextSelector:
    """Picks a record's text: one field, or a template joining several (``{a}\\n{b}``)."""

    def __init__(self, text_field: str | None, template: str | None) -> None:
        if text_field and template:
            raise InvalidInput("give either a text field or a template, not both")
        self.text_field = text_field
        self.template = template
        self.fields: list[str] = []
        if template is not None:
            try:
                self.fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
            except ValueError as exc:
                raise InvalidInput(f"bad template {template!r}: {exc}") from exc
            if not self.fields:
                raise InvalidInput(f"template {template!r} names no field")

    def resolve(self, first: Mapping[str, Any], source: str) -> None:
        """Choose the default field from the first record: 'text', else the only string."""
        if self.template is not None or self.text_field is not None:
            missing = [f for f in self.needed() if f not in first]
            if missing:
                raise InvalidInput(
                    f"{source}: the first record has no field {missing[0]!r} "
                    f"(fields: {', '.join(map(str, first)) or 'none'})"
                )
            return
        if "text" in first:
            self.text_field = "text"
            return
        strings = [k for k, v in first.items() if isinstance(v, str)]
        if len(strings) != 1:
            raise InvalidInput(
                f"{source}: say which field holds the text (--text-field or --template); "
                f"fields: {', '.join(map(str, first)) or 'none'}"
            )
        self.text_field = strings[0]

    def needed(self) -> list[str]:
        return list(self.fields) if self.template is not None else [str(self.text_field)]

    def text(self, record: Mapping[str, Any]) -> tuple[str | None, tuple[str, str] | None]:
        if self.template is None:
            value = record.get(str(self.text_field))
            if value is None:
                return None, ("schema", f"no field {self.text_field!r}")
            if not isinstance(value, str):
                return None, ("schema", f"field {self.text_field!r} is {type(value).__name__}")
            return value, None
        values: dict[str, str] = {}
        for name in self.fields:
            value = record.get(name)
            if value is None:
                return None, ("schema", f"no field {name!r}")
            values[name] = value if isinstance(value, str) else json.dumps(value)
        return self.template.format_map(values), None


def detect_format(path: Path, declared: InputFormat = "auto") -> InputFormat:
    if declared != "auto":
        return declared
    if path.is_dir():
        return "hf"
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InvalidInput(
            f"{path}: cannot tell the format from the name; give it (jsonl, csv, parquet, hf)"
        )
    return found


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InvalidInput(f"no such file or directory: {path}")


def read_rows(path: Path, fmt: InputFormat, selector: TextSelector) -> Iterator[Row]:
    """Every record of ``path`` as a Row (see the module docstring)."""
    _check_exists(path)
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        return _jsonl(path, selector)
    if fmt == "csv":
        return _csv(path, selector)
    if fmt == "parquet":
        return _tables(path, _parquet_batches(path, selector), selector)
    return _tables(path, _arrow_batches(path, selector), selector)


def row_count(path: Path, fmt: InputFormat) -> int | None:
    """Rows in the file when its metadata says (Parquet, Arrow), for the progress bar."""
    fmt = detect_format(path, fmt)
    try:
        if fmt == "parquet":
            return int(pq.ParquetFile(path).metadata.num_rows)
        if fmt == "hf":
            return sum(_arrow_rows(f) for f in _arrow_files(path))
    except (OSError, pa.ArrowException):
        return None
    return None


def _jsonl_record(index: int, raw: bytes) -> Row | dict[str, Any]:
    """One JSONL line: its object, or a Row carrying the line's format error."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Row(index, None, ("encoding", f"not UTF-8 at byte {exc.start}"))
    if not line.strip():
        return Row(index, None, ("empty", "blank line"))
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        kind = "unparseable" if raw.endswith(b"\n") else "truncated"  # the file was cut off
        return Row(index, None, (kind, f"invalid JSON: {exc.msg} at column {exc.colno}"))
    if not isinstance(record, dict):
        return Row(index, None, ("schema", f"a JSON {type(record).__name__}, not an object"))
    return record


@dataclass(frozen=True, slots=True)
class RawLines:
    """JSONL lines not parsed yet (workers parse them): ``lines[i]`` is line ``start + i``."""

    start: int
    lines: list[bytes]
    selector: TextSelector

    def rows(self) -> list[Row]:
        rows = []
        for offset, raw in enumerate(self.lines):
            record = _jsonl_record(self.start + offset, raw)
            if isinstance(record, Row):
                rows.append(record)
            else:
                text, error = self.selector.text(record)
                rows.append(Row(self.start + offset, text, error))
        return rows

    def texts(self) -> tuple[list[tuple[int, str]], list[tuple[int, tuple[str, str]]]]:
        """The (index, text) of each line with a text, and the (index, error) of the others,
        without a Row for each (the workers' path)."""
        texts: list[tuple[int, str]] = []
        errors: list[tuple[int, tuple[str, str]]] = []
        selector = self.selector
        for index, raw in enumerate(self.lines, self.start):
            try:
                record = json.loads(raw.decode("utf-8"))
            except ValueError:  # bad UTF-8 or JSON: _jsonl_record says which, exactly
                record = None
            if not isinstance(record, dict):
                found = _jsonl_record(index, raw)
                if isinstance(found, Row):
                    if found.error is not None:
                        errors.append((index, found.error))
                    continue
                record = found
            text, error = selector.text(record)
            if text is not None:
                texts.append((index, text))
            elif error is not None:
                errors.append((index, error))
        return texts, errors


def jsonl_raw_batches(path: Path, selector: TextSelector, size: int) -> Iterator[RawLines]:
    """A JSONL file in batches of raw lines; the text selector is resolved on the first
    object here, so a missing field fails before any worker starts."""
    _check_exists(path)
    start = 0
    resolved = False
    with path.open("rb") as handle:
        while batch := list(itertools.islice(handle, size)):  # lines split in C, not here
            for offset, raw in enumerate(batch if not resolved else ()):
                record = _jsonl_record(start + offset, raw)
                if isinstance(record, dict):  # the first line that is an object
                    selector.resolve(record, str(path))
                    resolved = True
                    break
            yield RawLines(start, batch, selector)
            start += len(batch)


def _jsonl(path: Path, selector: TextSelector) -> Iterator[Row]:
    for batch in jsonl_raw_batches(path, selector, BATCH_ROWS):
        yield from batch.rows()


def _csv(path: Path, selector: TextSelector) -> Iterator[Row]:
    with path.open("r", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"{path}: unreadable CSV header: {exc}") from exc
        selector.resolve(dict.fromkeys(header, ""), str(path))
        index = -1
        while True:
            index += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row(index, None, ("unparseable", f"CSV: {exc}"))
                continue
            if len(cells) != len(header):
                detail = f"{len(cells)} fields, the header has {len(header)}"
                yield Row(index, None, ("schema", detail))
                continue
            text, error = selector.text(dict(zip(header, cells, strict=True)))
            if text is not None and _has_surrogates(text):
                yield Row(
                    index, text.encode("utf-8", "replace").decode(), ("encoding", "not UTF-8")
                )
                continue
            yield Row(index, text, error)


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _columns(schema: pa.Schema, selector: TextSelector, source: str) -> list[str]:
    names = list(schema.names)
    selector.resolve(
        {
            n: ""
            if pa.types.is_string(schema.field(n).type)
            or pa.types.is_large_string(schema.field(n).type)
            else 0
            for n in names
        },
        source,
    )
    return selector.needed()


def _parquet_batches(path: Path, selector: TextSelector) -> Iterator[pa.RecordBatch]:
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise InvalidInput(f"{path}: not a readable Parquet file: {exc}") from exc
    columns = _columns(parquet.schema_arrow, selector, str(path))
    yield from parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns)


def _arrow_files(path: Path) -> list[Path]:
    """The Arrow files of a `Dataset.save_to_disk` directory, in order (from state.json)."""
    if (path / "dataset_dict.json").is_file():
        splits = json.loads((path / "dataset_dict.json").read_text()).get("splits", [])
        raise InvalidInput(
            f"{path} is a DatasetDict (splits: {', '.join(splits)}): give one split's directory, "
            f"e.g. {path / (splits[0] if splits else 'train')}"
        )
    state = path / "state.json"
    if not state.is_file():
        raise InvalidInput(f"{path}: not a Hugging Face save_to_disk directory (no state.json)")
    try:
        files = [path / f["filename"] for f in json.loads(state.read_text())["_data_files"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{state}: unreadable: {exc}") from exc
    return files


def _open_arrow(file: Path) -> Any:
    """A reader of one Arrow file: the IPC stream format `datasets` writes, or the file
    format."""
    source = pa.memory_map(str(file))
    try:
        return pa.ipc.open_stream(source)
    except pa.ArrowInvalid:
        return pa.ipc.open_file(source)


def _arrow_rows(file: Path) -> int:
    reader = _open_arrow(file)
    return sum(batch.num_rows for batch in _reader_batches(reader))


def _reader_batches(reader: Any) -> Iterator[pa.RecordBatch]:
    if isinstance(reader, pa.ipc.RecordBatchFileReader):
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)
    else:
        yield from reader


def _arrow_batches(path: Path, selector: TextSelector) -> Iterator[pa.RecordBatch]:
    columns: list[str] | None = None
    for file in _arrow_files(path):
        try:
            reader = _open_arrow(file)
        except (OSError, pa.ArrowException) as exc:
            raise InvalidInput(f"{file}: not a readable Arrow file: {exc}") from exc
        if columns is None:
            columns = _columns(reader.schema, selector, str(path))
        for batch in _reader_batches(reader):
            missing = [c for c in columns if c not in batch.schema.names]
            if missing:
                raise InvalidInput(f"{file}: no column {missing[0]!r}")
            yield batch.select(columns)


def _tables(path: Path, batches: Iterator[pa.RecordBatch], selector: TextSelector) -> Iterator[Row]:
    index = 0
    for batch in batches:
        for record in batch.to_pylist():
            text, error = selector.text(record)
            yield Row(index, text, error)
            index += 1


def jsonl_lines(records: list[dict[str, Any]]) -> bytes:
    """JSONL bytes of ``records`` (used by the corpus generator and tests)."""
    buffer = io.StringIO()
    for record in records:
        buffer.write(json.dumps(record, ensure_ascii=False) + "\n")
    return buffer.getvalue().encode("utf-8")
