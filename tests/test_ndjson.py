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
