"""The license commands of the CLI: JSON shape, release-gate exit codes, the demo's conflict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provgraph.cli.main import run
from provgraph.service.settings import Settings

pytestmark = pytest.mark.usefixtures("env_for_cli", "example_loaded")
DEMO = "example:helpdesk-7b"
ROOT = Path(__file__).resolve().parents[1]


def test_licenses_json_has_the_stable_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["licenses", DEMO, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    keys = {
        "id",
        "policy",
        "category",
        "attribution",
        "share_alike",
        "declared",
        "clauses",
        "conflicts",
        "complete",
    }
    assert keys <= set(answer)
    assert answer["declared"] == "Apache-2.0" and answer["policy"] == "strict"
    clause = answer["clauses"][0]
    assert {"license", "clause", "type", "origin", "path", "source"} <= set(clause)
    rules = {c["rule"] for c in answer["conflicts"] if c["severity"] == "error"}
    assert {"commercial-use-vs-noncommercial", "no-competing-models"} <= rules


def test_the_seed_case_openai_outputs_in_a_public_llm_is_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["conflicts", DEMO, "--json", "--severity", "error", "--fail-on", "never"]) == 0
    conflicts = json.loads(capsys.readouterr().out)["conflicts"]
    openai = [c for c in conflicts if c["rule"] == "no-competing-models"]
    assert openai and all(c["origin"]["license"] == "LicenseRef-openai-terms" for c in openai)
    assert all(c["path"][-1]["type"] == "GENERATED_BY" for c in openai)


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("never", 0)])
def test_release_gate_exit_codes(
    fail_on: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["conflicts", DEMO, "--fail-on", fail_on]) == code


def test_a_clean_artifact_passes_the_gate(capsys: pytest.CaptureFixture[str]) -> None:
    # oasst1: human-written, Apache-2.0, no restricted ancestry; warnings only at most.
    assert run(["conflicts", "hf:OpenAssistant/oasst1", "--fail-on", "error"]) == 0


def test_attribution_lists_credits(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["attribution", DEMO, "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert any(i["license"] == "CC-BY-NC-4.0" and i["kind"] == "credit" for i in items)


def test_unknown_id_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["licenses", "no:such-artifact"]) == 1


def test_every_cli_command_is_in_the_readme(env_for_cli: Settings) -> None:
    import typer

    from provgraph.cli.main import app

    readme = (ROOT / "README.md").read_text()
    names = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert len(names) >= 12
    missing = [name for name in names if f"provgraph {name}" not in readme]
    assert missing == []
