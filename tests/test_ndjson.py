"""The NDJSON contract, without a database: every kind of bad line is named with its number."""

from __future__ import annotations

import json

import pytest

from provgraph.service.models import EdgeRecord, NodeRecord, license_keys
from provgraph.service.ndjson import parse_lines


def _errors(*lines: str) -> dict[int, str]:
    parsed = parse_lines(lines)
    return {e.line: e.reason for e in parsed.errors}


def test_valid_lines_become_records_with_their_line_numbers() -> None:
    parsed = parse_lines(
        [
            '{"node": "dataset", "id": "d", "license": "CC-BY-NC-4.0", "records": 3}',
            "",
            '{"edge": "GENERATED_BY", "from": "d", "to": "m", "valid_from": "2023-03-13"}',
        ]
    )
    assert parsed.errors == []
    assert parsed.lines == 3
    [(node_line, node)] = parsed.nodes
    [(edge_line, edge)] = parsed.edges
    assert (node_line, edge_line) == (1, 3)
    assert isinstance(node, NodeRecord) and node.records == 3
    assert isinstance(edge, EdgeRecord) and edge.valid_from is not None
    assert edge.valid_from.isoformat() == "2023-03-13T00:00:00+00:00"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"node": "dataset", "id": "d", "colour": "red"}', "unknown field 'colour'"),
        ('{"node": "model", "id": "m", "weights": "closed"}', "field 'weights'"),
        ('{"node": "robot", "id": "r"}', "field 'node'"),
        ('{"node": "dataset"}', "missing field 'id'"),
        ('{"node": "dataset", "id": ""}', "field 'id'"),
        ('{"node": "dataset", "id": " padded"}', "leading or trailing spaces"),
        ('{"node": "dataset", "id": "d", "records": -1}', "field 'records'"),
        ('{"node": "dataset", "id": "d", "license": "MIT AND ("}', "invalid license expression"),
        ('{"node": "model", "id": "m", "human": true}', "'human' is not allowed on a model"),
        ('{"edge": "DERIVED_FROM", "from": "a", "to": "a"}', "self-loop"),
        ('{"edge": "OWNS", "from": "a", "to": "b"}', "field 'edge'"),
        (
            '{"edge": "TRAINED_ON", "from": "a", "to": "b", "method": "merge"}',
            "'method' is not allowed",
        ),
        (
            '{"edge": "DERIVED_FROM", "from": "a", "to": "b", "valid_from": "yesterday"}',
            "valid_from",
        ),
        ('{"node": "dataset", "edge": "DERIVED_FROM", "id": "x"}', "exactly one of"),
        ("[1, 2]", "expected a JSON object"),
        ('{"node": "dataset", "id": "d",}', "malformed JSON"),
    ],
)
def test_each_bad_line_is_rejected_with_a_reason(line: str, expected: str) -> None:
    errors = _errors('{"node": "source", "id": "ok"}', line)
    assert list(errors) == [2]
    assert expected in errors[2]


def test_invalid_utf8_is_an_error_not_a_crash() -> None:
    parsed = parse_lines([b'{"node": "source", "id": "\xff"}\n'])
    assert parsed.errors[0].line == 1
    assert "UTF-8" in parsed.errors[0].reason


def test_license_expressions_name_their_keys() -> None:
    assert license_keys("CC-BY-NC-4.0 AND (MIT OR LicenseRef-openai-terms)") == [
        "CC-BY-NC-4.0",
        "LicenseRef-openai-terms",
        "MIT",
    ]


def test_node_properties_keep_attrs_as_json_and_drop_unset_fields() -> None:
    node = NodeRecord.model_validate(
        {"node": "source", "id": "s", "human": True, "attrs": {"b": 1}}
    )
    assert node.properties() == {"id": "s", "human": True, "attrs": json.dumps({"b": 1})}


# ---------------------------------------------------------------- the direct path
# Lines given as bytes (files, the bulk load) are validated by pydantic straight from their
# JSON when that cannot differ from json.loads plus parse_record; both must then agree.

_TRICKY_LINES = [
    b'{"node":"dataset","id":"bench:d-1","name":"d","records":5,"license":"MIT"}',
    b'{"node": "source", "id": "s", "human": 1, "records": "7"}',
    b'{"node":"dataset","id":"d","records":5.0,"attrs":{"x":123456789012345678901234567890}}',
    b'{"node":"dataset","id":"d","attrs":{"f":1e400,"g":-0.0,"h":5e-324,"n":null}}',
    b'{"node":"dataset","id":"d","name":"a\\/b\\u00e9\\n"}',
    b'{"node":"dataset","id":"d","name":"\\ud83d\\ude00"}',  # a pair: the exact path
    b'{"node":"dataset","id":"d","name":"\\ud800"}',  # unpaired surrogate
    b'{"node":"dataset","id":"d","name":"x\ty"}',  # raw control character
    b'\xef\xbb\xbf{"node":"dataset","id":"d"}',
    b'{"node":"dataset","id":"d"} trailing',
    b'{"node":"dataset","id":"d",}',
    b'{"node":"dataset","id":"d","records":NaN}',
    b'{"node":"dataset","id":"d","node":"run"}',  # the later kind wins in both parsers
    b'{"node":"run","id":"r","kind":"generation","node":"dataset"}',
    b'{"node":"run","id":"r","kind":"generation","status":"running"}',
    b'{"edge":"TRAINED_ON","from":"m","to":"d","edge":"USED"}',
    b'{"edge":"USED","from":"r","to":"d","edge":"TRAINED_ON"}',
    b'{"edge":"USED","from":"r","to":"d","role":"seed"}',
    b'{"edge":"PRODUCED_BY","from":"d","to":"r"}',
    b'{"edge":"DERIVED_FROM","from":"a","to":"a"}',
    b'{"edge":"DERIVED_FROM","from":"a","to":"b","valid_from":"2024-01-01"}',
    b'{"edge":"DERIVED_FROM","from":"a","to":"b","valid_from":"2024-01-01T10:00:00+02:00"}',
    b'{"edge":"DERIVED_FROM","from":"a","to":"b","edge":"GENERATED_BY","prompt_template":"p"}',
    b'{"node":"dataset","edge":"DERIVED_FROM","id":"x"}',
    b'{"node":"model","id":"m","human":true}',
    b'{"node":"dataset","id":" padded"}',
    b'{"node":"dataset","id":"d","license":"MIT AND ("}',
    b'   {"node":"dataset","id":"d"}',
    b"[1, 2]",
    b"",
    b"   ",
]


def _outcome(lines: list[bytes] | list[str]) -> tuple[list[tuple[int, str, str]], list[str]]:
    parsed = parse_lines(lines)
    records = [
        (line, type(record).__name__, repr(record.model_dump()))
        for line, record in sorted(
            [*parsed.nodes, *parsed.edges, *parsed.runs, *parsed.run_edges],
            key=lambda item: item[0],
        )
    ]
    return records, [f"{e.line}: {e.reason}" for e in parsed.errors]


def test_bytes_lines_give_the_records_and_errors_of_the_exact_path() -> None:
    lines = [line + b"\n" for line in _TRICKY_LINES]
    # The exact path: the same lines given as text (the direct path takes bytes only).
    direct_records, direct_errors = _outcome(lines)
    exact_records, exact_errors = _outcome([line.decode("utf-8") for line in lines])
    assert direct_records == exact_records
    assert direct_errors == exact_errors
    assert (len(direct_records), len(direct_errors)) == (16, 13)


def test_the_usual_lines_take_the_direct_path() -> None:
    from provgraph.service.ndjson import _direct_record

    usual = [
        b'{"node":"dataset","id":"bench:d-1","name":"d","records":5,"license":"MIT"}\n',
        b'{"edge": "TRAINED_ON", "from": "m", "to": "d", "records": 3}\n',
        b'{"node":"run","id":"r","kind":"generation","status":"running"}\n',
        b'{"edge":"USED","from":"r","to":"d","role":"seed"}\n',
    ]
    assert [type(_direct_record(line)).__name__ for line in usual] == [
        "NodeRecord",
        "EdgeRecord",
        "RunRecord",
        "RunEdgeRecord",
    ]
    # and what it cannot vouch for goes the exact way
    assert _direct_record(b'{"node":"dataset","id":"d","name":"\\ud800"}') is None
    assert _direct_record(b'{"id":"d","node":"dataset"}') is None
