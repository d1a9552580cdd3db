"""Hypothesis property tests (no database): the NDJSON parser and license expressions.

The parser must account for every line of any input (a record or an error with its line
number, never an exception), and give back exactly the records it was fed; license
expressions built from known and unknown ids must name exactly those ids, and the choice
among OR-alternatives must not depend on the order they are written in.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provgraph.service.errors import LineTooLong
from provgraph.service.licensing.expressions import alternatives, choose
from provgraph.service.licensing.kb import load_kb
from provgraph.service.models import EdgeRecord, NodeRecord, license_keys
from provgraph.service.ndjson import MAX_LINE_BYTES, parse_lines

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

ids = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=40,
)
text = st.text(alphabet=st.characters(codec="utf-8"), max_size=30)
KNOWN = sorted(e.id for e in load_kb().entries.values() if not e.id.startswith("LicenseRef-"))[:40]


@st.composite
def node_records(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["dataset", "model", "source"]))
    record: dict[str, Any] = {"node": kind, "id": draw(ids)}
    if draw(st.booleans()):
        record["name"] = draw(text)
    if draw(st.booleans()):
        record["version"] = draw(text)
    if kind != "model" and draw(st.booleans()):
        record["records"] = draw(st.integers(min_value=0, max_value=10**12))
    if kind == "model" and draw(st.booleans()):
        record["vendor"] = draw(text)
    if kind == "source" and draw(st.booleans()):
        record["human"] = draw(st.booleans())
    if draw(st.booleans()):
        record["license"] = draw(st.sampled_from(KNOWN))
    if draw(st.booleans()):
        record["attrs"] = draw(st.dictionaries(text, st.integers() | text, max_size=3))
    return record


@st.composite
def edge_records(draw: Any) -> dict[str, Any]:
    a, b = draw(ids), draw(ids)
    if a == b:
        b = a + "-parent"
    record: dict[str, Any] = {"edge": "DERIVED_FROM", "from": a, "to": b}
    if draw(st.booleans()):
        record["records"] = draw(st.integers(min_value=0, max_value=10**9))
    if draw(st.booleans()):
        record["transform"] = draw(text)
    return record


garbage = st.one_of(
    st.binary(max_size=60),
    text,
    st.just("{}"),
    st.just('{"node": "dataset"}'),
    st.just('{"node": "dataset", "id": "x", "colour": "blue"}'),
    st.just('{"edge": "DERIVED_FROM", "from": "a", "to": "a"}'),
    st.just("[1, 2, 3]"),
    st.just('{"node": "dataset", "id": "lone \\ud800"}'),
    st.builds(lambda n: '{"node": "dataset", "id": "%s"}' % ("x" * n), st.integers(513, 600)),
)


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(st.binary(max_size=200), text), max_size=30))
def test_parser_accounts_for_every_line_of_any_input(lines: list[bytes | str]) -> None:
    parsed = parse_lines(lines)
    assert parsed.lines == len(lines)
    numbers = [n for n, _ in parsed.nodes] + [n for n, _ in parsed.edges]
    numbers += [e.line for e in parsed.errors]
    assert len(numbers) == len(set(numbers))  # one outcome per line at most
    blank = {
        i
        for i, raw in enumerate(lines, start=1)
        if not (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).strip()
    }
    assert set(numbers) | blank == set(range(1, len(lines) + 1))
    assert all(e.reason for e in parsed.errors)


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(node_records(), edge_records(), garbage), max_size=25))
def test_parser_returns_exactly_the_valid_records_with_their_line_numbers(
    items: list[Any],
) -> None:
    lines = [json.dumps(i) if isinstance(i, dict) else i for i in items]
    parsed = parse_lines(lines)
    expected_nodes = [
        (n, NodeRecord.model_validate(i))
        for n, i in enumerate(items, 1)
        if isinstance(i, dict) and "node" in i
    ]
    expected_edges = [
        (n, EdgeRecord.model_validate(i))
        for n, i in enumerate(items, 1)
        if isinstance(i, dict) and "edge" in i
    ]
    assert parsed.nodes == expected_nodes
    assert parsed.edges == expected_edges
    valid = {n for n, _ in expected_nodes} | {n for n, _ in expected_edges}
    assert {e.line for e in parsed.errors}.isdisjoint(valid)
    # And a valid record survives its own serialisation unchanged.
    for _, record in parsed.nodes:
        again = NodeRecord.model_validate_json(
            record.model_dump_json(by_alias=True, exclude_none=True)
        )
        assert again == record


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=2000))
def test_a_line_past_the_limit_is_its_own_error(extra: int) -> None:
    line = json.dumps({"node": "dataset", "id": "x", "name": "y" * (MAX_LINE_BYTES + extra)})
    parsed = parse_lines([line, json.dumps({"node": "dataset", "id": "ok"})])
    assert [type(e) for e in parsed.errors] == [LineTooLong]
    assert parsed.errors[0].line == 1 and [n for n, _ in parsed.nodes] == [2]


license_ids = st.one_of(
    st.sampled_from(KNOWN),
    st.from_regex(r"LicenseRef-[a-z][a-z0-9.-]{0,15}", fullmatch=True),
)


@st.composite
def expressions(draw: Any, depth: int = 0) -> tuple[str, list[str]]:
    """A valid SPDX expression and the license ids at its leaves."""
    if depth >= 3 or draw(st.booleans()):
        key = draw(license_ids)
        return key, [key]
    left, lkeys = draw(expressions(depth + 1))
    right, rkeys = draw(expressions(depth + 1))
    operator = draw(st.sampled_from(["AND", "OR"]))
    return f"({left} {operator} {right})", lkeys + rkeys


@PROPERTY_SETTINGS
@given(expressions())
def test_license_keys_name_exactly_the_ids_of_the_expression(
    generated: tuple[str, list[str]],
) -> None:
    expression, leaves = generated
    assert license_keys(expression) == sorted(set(leaves))
    kb = load_kb()
    options = alternatives(kb, expression)
    assert options
    named = {i for option in options for i in option.ids}
    resolved = {entry.id if (entry := kb.resolve(k)) else k for k in leaves}
    # Boolean absorption may drop a repeated id ("A AND (B OR A)" is just A), never add one.
    assert named <= resolved
    if len(set(leaves)) == len(leaves):
        assert named == resolved


@PROPERTY_SETTINGS
@given(
    st.lists(license_ids, min_size=2, max_size=5, unique=True), st.randoms(use_true_random=False)
)
def test_the_chosen_alternative_does_not_depend_on_the_order_written(
    keys: list[str], rng: Any
) -> None:
    shuffled = keys[:]
    rng.shuffle(shuffled)
    kb = load_kb()
    first = choose(alternatives(kb, " OR ".join(keys)))
    second = choose(alternatives(kb, " OR ".join(shuffled)))
    assert first is not None and second is not None
    assert first.ids == second.ids


@PROPERTY_SETTINGS
@given(text)
def test_license_keys_refuse_nonsense_with_a_value_error_only(expression: str) -> None:
    try:
        keys = license_keys(expression)
    except ValueError:
        return
    assert all(isinstance(k, str) and k for k in keys)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
_FIELDS = sorted({*NodeRecord.model_fields, *EdgeRecord.model_fields, "from", "kind", "role"})


@st.composite
def near_records(draw: Any) -> str:
    """Records, and near misses: any field with any JSON value, repeated keys, the kind
    first or not."""
    kind = draw(
        st.sampled_from(
            [("node", k) for k in ("dataset", "model", "source", "run", "robot")]
            + [("edge", k) for k in ("DERIVED_FROM", "TRAINED_ON", "USED", "PRODUCED_BY")]
        )
    )
    pairs = [kind, ("from" if kind[0] == "edge" else "id", draw(ids))]
    if kind[0] == "edge":
        pairs.append(("to", draw(ids)))
    extra = draw(st.lists(st.tuples(st.sampled_from(_FIELDS), json_values), max_size=4))
    pairs += extra
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    ascii_only = draw(st.booleans())  # \u escapes (surrogate pairs among them) or UTF-8
    return (
        "{"
        + ",".join(
            f"{json.dumps(k, ensure_ascii=ascii_only)}:{json.dumps(v, ensure_ascii=ascii_only)}"
            for k, v in pairs
        )
        + "}"
    )


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(near_records(), node_records().map(json.dumps)), max_size=20))
def test_lines_as_bytes_give_exactly_what_the_same_lines_as_text_give(lines: list[str]) -> None:
    """Bytes take pydantic's direct JSON validation where it cannot differ; text always
    takes json.loads and parse_record."""
    as_bytes = parse_lines([line.encode("utf-8") for line in lines])
    as_text = parse_lines(lines)
    for name in ("nodes", "edges", "runs", "run_edges"):
        assert [(n, repr(r.model_dump())) for n, r in getattr(as_bytes, name)] == [
            (n, repr(r.model_dump())) for n, r in getattr(as_text, name)
        ]
    assert as_bytes.errors == as_text.errors
