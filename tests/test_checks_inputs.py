"""Inputs of the checker: JSONL, CSV, Parquet and `datasets` save_to_disk directories give
the same answer for the same records; field selection, templates and clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from provgraph.service.checks.engine import run_check
from provgraph.service.checks.models import CheckReport, CheckRequest, DataInput
from provgraph.service.checks.readers import TextSelector, read_rows
from provgraph.service.checks.run import validate_request
from provgraph.service.errors import InvalidInput

LEAK = "the committee agreed that the northern bridge would be rebuilt before the winter rains came"
RECORDS: list[dict[str, Any]] = [
    {"question": "What did the committee decide?", "answer": f"They said {LEAK} and left."},
    {"question": "Name a colour.", "answer": "Blue is a colour that many people like."},
    {"question": "Name a colour.", "answer": "Blue is a colour that many people like."},
    {"question": "Who are you?", "answer": "As an AI language model, I have no name."},
    {"question": "Empty?", "answer": ""},
    {"question": "Pets?", "answer": "Cats sleep for most of the day. Dogs like to"},
]
REFERENCE = [{"question": "q", "answer": f"Reference passage: {LEAK}, said the mayor."}]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=2)
    return path


def write_hf(path: Path, rows: list[dict[str, Any]]) -> Path:
    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_list(rows).save_to_disk(str(path))
    return path


WRITERS = {
    "jsonl": (write_jsonl, "data.jsonl"),
    "csv": (write_csv, "data.csv"),
    "parquet": (write_parquet, "data.parquet"),
    "hf": (write_hf, "data_hf"),
}


def check(tmp: Path, fmt: str, **options: Any) -> CheckReport:
    writer, name = WRITERS[fmt]
    data = writer(tmp / name, RECORDS)
    ref = write_jsonl(tmp / "ref.jsonl", REFERENCE)
    request = CheckRequest(
        dataset=DataInput(path=str(data)),
        references=[DataInput(path=str(ref), id="ref")],
        text_field=options.pop("text_field", "answer"),
        **options,
    )
    validate_request(request, None)
    return run_check(request, workers=1)


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_each_format_gives_the_same_figures(tmp_path: Path, fmt: str) -> None:
    report = check(tmp_path, fmt)
    assert report.records == 6
    assert report.exact_duplicates.count == 1 and report.exact_duplicates.within == 1
    assert report.ngram_overlap.by_reference == {"ref": 1}
    assert report.boilerplate.by_pattern == {"as-an-ai-language-model": 1}
    assert report.format_errors.by_kind == {"empty": 1, "truncated": 1}


def test_save_to_disk_directory_is_read_with_pyarrow_streaming(tmp_path: Path) -> None:
    directory = write_hf(tmp_path / "hf", RECORDS * 3)
    rows = list(read_rows(directory, "auto", TextSelector("question", None)))
    assert [r.index for r in rows] == list(range(18))
    assert rows[1].text == "Name a colour."


def test_a_datasetdict_directory_asks_for_a_split(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    split = datasets.Dataset.from_list(RECORDS)
    datasets.DatasetDict({"train": split, "test": split}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(InvalidInput, match=r"DatasetDict .*splits: .*train.*give one split"):
        list(read_rows(tmp_path / "dd", "auto", TextSelector("answer", None)))
    rows = list(read_rows(tmp_path / "dd" / "test", "auto", TextSelector("answer", None)))
    assert len(rows) == 6


def test_a_template_joins_fields(tmp_path: Path) -> None:
    report = check(tmp_path, "jsonl", text_field=None, template="Q: {question}\nA: {answer}")
    # "Name a colour." twice with the same answer: still one exact duplicate; the empty
    # answer is no longer empty once joined with its question.
    assert report.exact_duplicates.count == 1
    assert "empty" not in report.format_errors.by_kind


def test_row_level_errors_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"text": "Fine line."}\n'
        b'{"text": "broken\n'
        b"[1, 2]\n"
        b'{"other": "no text field"}\n'
        b'{"text": 42}\n'
        b'{"text": "bad \xff byte"}\n'
        b"\n"
        b'{"text": "cut off'
    )
    rows = list(read_rows(path, "auto", TextSelector(None, None)))
    kinds = {r.index: r.error[0] for r in rows if r.error}
    assert kinds == {
        1: "unparseable",
        2: "schema",
        3: "schema",
        4: "schema",
        5: "encoding",
        6: "empty",
        7: "truncated",
    }


def test_csv_rows_with_the_wrong_number_of_fields_are_schema_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("id,text\n1,hello there.\n2,too,many\n3\n", encoding="utf-8")
    rows = list(read_rows(path, "auto", TextSelector(None, None)))
    assert [(r.index, r.error[0] if r.error else None) for r in rows] == [
        (0, None),
        (1, "schema"),
        (2, "schema"),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"text_field": "missing"},
            r"first record has no field 'missing' \(fields: question, answer\)",
        ),
        ({"text_field": None}, r"say which field holds the text"),
    ],
)
def test_field_selection_errors_name_the_fields(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        check(tmp_path, "parquet", **options)


def test_unknown_suffix_and_missing_file_are_refused(tmp_path: Path) -> None:
    odd = tmp_path / "data.txt"
    odd.write_text("x")
    for path, message in ((odd, "cannot tell the format"), (tmp_path / "nope.jsonl", "no such")):
        request = CheckRequest(dataset=DataInput(path=str(path)))
        with pytest.raises(InvalidInput, match=message):
            validate_request(request, None)


def test_user_patterns_extend_the_shipped_list(tmp_path: Path) -> None:
    patterns = tmp_path / "mine.yaml"
    patterns.write_text(
        "patterns:\n  - id: blue-colour\n    kind: boilerplate\n    regex: 'blue is a colour'\n"
    )
    report = check(tmp_path, "jsonl", patterns=str(patterns))
    assert report.boilerplate.by_pattern == {"blue-colour": 2, "as-an-ai-language-model": 1}
    bad = tmp_path / "bad.yaml"
    bad.write_text("patterns:\n  - id: x\n    regex: '('\n")
    with pytest.raises(InvalidInput, match=r"bad.yaml: pattern 1 \(x\): bad regex"):
        check(tmp_path, "jsonl", patterns=str(bad))
