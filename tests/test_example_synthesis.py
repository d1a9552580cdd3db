"""The worked example: a five-generation generate-then-train loop recorded with the SDK,
with 0% and with 10% human data kept; the graph is complete and the risk reports differ."""

from __future__ import annotations

from pathlib import Path

import pytest

from provgraph import sdk
from provgraph.examples.synthesis_pipeline import GENERATIONS, Scenario, human_corpus, run_scenario
from provgraph.service import lineage
from provgraph.service.manifests import records_from
from provgraph.service.risk import risk_report
from provgraph.service.settings import Settings
from provgraph.service.store import Store


@pytest.fixture(scope="module")
def scenarios(
    store: Store, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[int, Scenario]:
    workdir = tmp_path_factory.mktemp("collapse")
    done: dict[int, Scenario] = {}
    with sdk.Recorder(sdk.Neo4jSink(neo4j_settings, spool=workdir / "spool")) as recorder:
        for pct in (0, 10):
            done[pct] = run_scenario(
                recorder, prefix=f"texample-{pct}pct:", human_share=pct / 100, workdir=workdir
            )
    return done


def test_the_graph_is_complete(store: Store, scenarios: dict[int, Scenario]) -> None:
    size = len(human_corpus())
    for pct, scenario in scenarios.items():
        ancestry = lineage.lineage(store, scenario.final_model)
        # gen0 model + 5 x (dataset, model) above the final model, plus the human corpus
        assert ancestry.total == 1 + 2 * GENERATIONS
        kinds = sorted(
            (e.type.value, e.from_.split(":")[-1], e.to.split(":")[-1]) for e in ancestry.edges
        )
        expected = [("TRAINED_ON", "gen0-model", "human-corpus")]
        for g in range(1, GENERATIONS + 1):
            expected.append(("GENERATED_BY", f"gen{g}-data", f"gen{g - 1}-model"))
            expected.append(("TRAINED_ON", f"gen{g}-model", f"gen{g}-data"))
            if pct:
                expected.append(("DERIVED_FROM", f"gen{g}-data", "human-corpus"))
        assert kinds == sorted(expected)
        kept = round(size * pct / 100)
        for e in ancestry.edges:
            want = {"GENERATED_BY": size - kept, "DERIVED_FROM": kept, "TRAINED_ON": size}
            assert e.records == want[e.type.value]  # type: ignore[attr-defined]


def test_every_run_succeeded_with_its_manifest(
    store: Store, scenarios: dict[int, Scenario]
) -> None:
    last = scenarios[10].generations[-1]
    found = records_from(store, last.dataset, scenarios[10].generations[-2].model)
    assert found.total == len(human_corpus()) - round(len(human_corpus()) * 0.1)
    with store._driver.session(database=store.database) as session:
        rows = session.run(
            "MATCH (r:Run) WHERE r.id STARTS WITH 'texample-' RETURN r.status AS s, count(*) AS n"
        ).data()
    assert rows == [{"s": "succeeded", "n": 2 * (1 + 2 * GENERATIONS)}]


def test_zero_versus_ten_percent_human_data(store: Store, scenarios: dict[int, Scenario]) -> None:
    none = risk_report(store, scenarios[0].final_model)
    some = risk_report(store, scenarios[10].final_model)
    size = len(human_corpus())
    assert none.synthetic_generations == some.synthetic_generations == GENERATIONS
    assert none.human_fraction == 0.0
    assert some.human_fraction == pytest.approx(round(size * 0.1) / size)
    rules_none = {(f.rule, f.severity) for f in none.findings}
    rules_some = {(f.rule, f.severity) for f in some.findings}
    assert ("low-human-fraction", "error") in rules_none
    assert "low-human-fraction" not in {r for r, _ in rules_some}
    assert ("too-many-synthetic-generations", "error") in rules_none & rules_some
    assert {s.family for s in none.self_consumption} == {"bigram"}
    # Collapse: rare word pairs vanish; keeping 10% human data keeps more of them.
    final_none, final_some = scenarios[0].generations[-1], scenarios[10].generations[-1]
    assert final_some.bigrams > final_none.bigrams
    assert final_some.vocabulary > final_none.vocabulary
    shrinking = [g.bigrams for g in scenarios[0].generations]
    assert shrinking == sorted(shrinking, reverse=True)


def test_the_example_runs_as_a_script(
    env_for_cli: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from provgraph.examples.synthesis_pipeline import main

    monkeypatch.setenv("PROVGRAPH_SINK", "neo4j")
    monkeypatch.setenv("PROVGRAPH_SPOOL", str(tmp_path / "spool"))
    monkeypatch.delenv("PROVGRAPH_URL", raising=False)
    assert main(["--prefix", "texample-script", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== 0% human data kept" in out and "== 10% human data kept" in out
    assert out.count("[error] low-human-fraction") == 1
