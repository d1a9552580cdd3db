"""Scenarios S1-S10 of licenses.md §4.6, each built in the graph and asked through the API."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provgraph.service.api import create_app
from provgraph.service.settings import Settings
from provgraph.service.store import Store


@pytest.fixture(scope="module")
def client(neo4j_settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(neo4j_settings, store=store)) as test_client:
        yield test_client


def load(client: TestClient, *records: dict[str, Any]) -> None:
    body = "\n".join(json.dumps(r) for r in records)
    response = client.post(
        "/api/v1/ingest", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text


def model(node_id: str, **facts: Any) -> dict[str, Any]:
    return {"node": "model", "id": node_id, **facts}


def dataset(node_id: str, **facts: Any) -> dict[str, Any]:
    return {"node": "dataset", "id": node_id, **facts}


def edge(kind: str, child: str, parent: str) -> dict[str, Any]:
    return {"edge": kind, "from": child, "to": parent}


def licenses(client: TestClient, node_id: str, policy: str = "strict") -> dict[str, Any]:
    response = client.get(f"/api/v1/artifacts/{node_id}/licenses", params={"policy": policy})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def findings(answer: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [c for c in answer["conflicts"] if c["rule"] == rule]


def hops(finding: dict[str, Any]) -> list[str]:
    return [hop["type"] for hop in finding["path"]]


def test_s1_openai_outputs_in_a_public_llm(client: TestClient, ns: str) -> None:
    gpt4, d, m = f"{ns}gpt-4", f"{ns}d", f"{ns}m"
    load(
        client,
        model(
            gpt4,
            vendor="OpenAI",
            model_type="llm",
            weights="api",
            license="LicenseRef-openai-terms",
        ),
        dataset(d, license="CC-BY-4.0"),
        model(m, model_type="llm", distribution="public", intended_use="commercial"),
        edge("GENERATED_BY", d, gpt4),
        edge("TRAINED_ON", m, d),
    )
    strict = licenses(client, m)
    [finding] = findings(strict, "no-competing-models")
    assert finding["severity"] == "error"
    assert finding["origin"] == {
        "node": gpt4,
        "license": "LicenseRef-openai-terms",
        "clause": finding["origin"]["clause"],
    }
    assert hops(finding) == ["TRAINED_ON", "GENERATED_BY"]
    assert "compete with OpenAI" in finding["explanation"]
    assert finding["citation"]["url"].startswith("https://")
    [lenient] = findings(licenses(client, m, "lenient"), "no-competing-models")
    assert lenient["severity"] == "warning"
    data = licenses(client, d)
    assert data["category"] == "non-commercial"
    assert [f["severity"] for f in findings(data, "declared-license-too-permissive")] == ["warning"]
    assert licenses(client, d, "lenient")["category"] == "commercial"


def test_s2_noncommercial_under_a_commercial_label(client: TestClient, ns: str) -> None:
    a, b = f"{ns}a", f"{ns}b"
    load(
        client,
        dataset(a, license="CC-BY-NC-4.0"),
        dataset(b, license="CC-BY-4.0", intended_use="commercial"),
        edge("DERIVED_FROM", b, a),
    )
    answer = licenses(client, b)
    for rule in ("commercial-use-vs-noncommercial", "declared-license-too-permissive"):
        [finding] = [f for f in findings(answer, rule) if f["severity"] == "error"]
        assert finding["origin"]["node"] == a
        assert hops(finding) == ["DERIVED_FROM"]
    assert answer["category"] == "non-commercial"


def test_s3_share_alike_meets_non_commercial(client: TestClient, ns: str) -> None:
    x, y, c = f"{ns}x", f"{ns}y", f"{ns}c"
    load(
        client,
        dataset(x, license="CC-BY-SA-4.0"),
        dataset(y, license="CC-BY-NC-4.0"),
        dataset(c, distribution="public"),
        edge("DERIVED_FROM", c, x),
        edge("DERIVED_FROM", c, y),
    )
    [finding] = findings(licenses(client, c), "sharealike-vs-additional-terms")
    assert finding["severity"] == "error"
    assert finding["origin"]["node"] == y and x in finding["explanation"]


def test_many_origins_make_one_finding_per_license_pair(client: TestClient, ns: str) -> None:
    """Three share-alike sources and three non-commercial ones, the nearest of each one hop
    away: one finding for the pair of licenses (not nine), witnessed by the nearest, and the
    clauses say how many origins each has."""
    sa, nc = [f"{ns}sa{i}" for i in range(3)], [f"{ns}nc{i}" for i in range(3)]
    c = f"{ns}c"
    load(
        client,
        *(dataset(x, license="CC-BY-SA-4.0") for x in sa),
        *(dataset(y, license="CC-BY-NC-4.0") for y in nc),
        dataset(c, distribution="public"),
        edge("DERIVED_FROM", c, sa[0]),
        edge("DERIVED_FROM", c, nc[0]),
        *(edge("DERIVED_FROM", parent, grand) for parent, grand in itertools.pairwise(sa)),
        *(edge("DERIVED_FROM", parent, grand) for parent, grand in itertools.pairwise(nc)),
    )
    answer = licenses(client, c)
    [finding] = findings(answer, "sharealike-vs-additional-terms")
    assert finding["origin"]["node"] == nc[0] and hops(finding) == ["DERIVED_FROM"]
    assert f"from {sa[0]} (and 2 other ancestors likewise)" in finding["explanation"]
    by_clause = {(k["license"], k["type"]): k for k in answer["clauses"]}
    share_alike = by_clause[("CC-BY-SA-4.0", "ShareAlike")]
    assert share_alike["origin"] == sa[0] and share_alike["origins"] == 3
    assert share_alike["sample_origins"] == sa
    assert by_clause[("CC-BY-NC-4.0", "NonCommercial")]["origins"] == 3
    assert len(answer["clauses"]) == len(by_clause)  # one entry per (license, clause)


def test_s4_openrail_pass_on_through_fine_tune_and_distillation(
    client: TestClient, ns: str
) -> None:
    sd, m2, imgs, m3 = f"{ns}sd-1.5", f"{ns}m2", f"{ns}imgs", f"{ns}m3"
    load(
        client,
        model(sd, model_type="text-to-image", weights="open", license="creativeml-openrail-m"),
        model(m2, model_type="text-to-image", license="Apache-2.0", distribution="public"),
        dataset(imgs, modality="image"),
        model(m3, model_type="text-to-image", license="MIT", distribution="public"),
        edge("FINE_TUNED_FROM", m2, sd),
        edge("GENERATED_BY", imgs, m2),
        edge("TRAINED_ON", m3, imgs),
    )
    for node in (m2, m3):
        too_permissive = findings(licenses(client, node), "declared-license-too-permissive")
        assert any("use restrictions" in f["explanation"] for f in too_permissive), node


def test_s5_llama2_outputs_may_not_improve_another_llm(client: TestClient, ns: str) -> None:
    llama, mistral, d, m = f"{ns}llama-2-70b-chat", f"{ns}mistral-7b", f"{ns}d", f"{ns}m"
    load(
        client,
        model(llama, model_type="llm", family="llama-2", license="llama2"),
        model(mistral, model_type="llm", family="mistral", license="Apache-2.0"),
        dataset(d),
        model(
            m, name="my-assistant", model_type="llm", distribution="public", license="Apache-2.0"
        ),
        edge("GENERATED_BY", d, llama),
        edge("TRAINED_ON", m, d),
        edge("FINE_TUNED_FROM", m, mistral),
    )
    [finding] = findings(licenses(client, m), "no-improve-other-llm")
    assert finding["severity"] == "error" and finding["origin"]["node"] == llama
    assert "mistral" in finding["explanation"]


def test_s5b_llama31_outputs_need_the_name_prefix_and_branding(client: TestClient, ns: str) -> None:
    llama, d, m = f"{ns}llama-3.1-70b-instruct", f"{ns}d", f"{ns}m"
    load(
        client,
        model(llama, model_type="llm", family="llama-3.1", license="llama3.1"),
        dataset(d),
        model(
            m, name="my-assistant", model_type="llm", distribution="public", license="Apache-2.0"
        ),
        edge("GENERATED_BY", d, llama),
        edge("TRAINED_ON", m, d),
    )
    answer = licenses(client, m)
    assert findings(answer, "no-improve-other-llm") == []
    [prefix] = findings(answer, "model-name-prefix")
    assert "'Llama'" in prefix["explanation"]
    attribution = client.get(f"/api/v1/artifacts/{m}/attribution").json()
    assert any(
        item["kind"] == "branding" and "Built with Llama" in (item["text"] or "")
        for item in attribution
    )


def test_s6_distill_inherits_the_llama33_obligations(client: TestClient, ns: str) -> None:
    r1, data, llama, distill = (
        f"{ns}deepseek-r1",
        f"{ns}r1-data",
        f"{ns}llama-3.3-70b",
        f"{ns}r1-distill",
    )
    load(
        client,
        model(r1, model_type="llm", license="MIT"),
        dataset(data),
        model(llama, model_type="llm", family="llama-3.3", license="llama3.3"),
        model(
            distill,
            name="DeepSeek-R1-Distill-Llama-70B",
            model_type="llm",
            distribution="public",
            license="MIT",
        ),
        edge("GENERATED_BY", data, r1),
        edge("TRAINED_ON", distill, data),
        edge("FINE_TUNED_FROM", distill, llama),
    )
    answer = licenses(client, distill)
    inherited = {c["type"] for c in answer["clauses"] if c["origin"] == llama}
    assert {
        "NoticeFile",
        "IncludeLicenseCopy",
        "UseRestrictions",
        "UserThreshold",
        "ModelNamePrefix",
    } <= inherited
    assert all(f["severity"] == "warning" for f in findings(answer, "model-name-prefix"))
    assert findings(answer, "model-name-prefix"), (
        "the prefix obligation is reported as possibly unmet"
    )


def test_s7_gemma_outputs_free_but_distilled_model_is_a_derivative(
    client: TestClient, ns: str
) -> None:
    gemma, d, m = f"{ns}gemma-2-9b", f"{ns}d", f"{ns}m"
    load(
        client,
        model(gemma, model_type="llm", family="gemma", license="gemma"),
        dataset(d),
        model(m, model_type="llm", distribution="public", license="MIT"),
        edge("GENERATED_BY", d, gemma),
        edge("TRAINED_ON", m, d),
    )
    data = licenses(client, d)
    assert "PassOnUseRestrictions" not in {c["type"] for c in data["clauses"]}
    answer = licenses(client, m)
    assert "PassOnUseRestrictions" in {c["type"] for c in answer["clauses"]}
    assert findings(answer, "declared-license-too-permissive")


def test_s8_odbl_produced_work_needs_only_a_notice(client: TestClient, ns: str) -> None:
    osm, m = f"{ns}osm-extract", f"{ns}m"
    load(
        client,
        dataset(osm, license="ODbL-1.0"),
        model(m, model_type="llm", distribution="public", license="Apache-2.0"),
        edge("TRAINED_ON", m, osm),
    )
    answer = licenses(client, m)
    assert {c["type"] for c in answer["clauses"] if c["origin"] == osm} == {"ProducedWorkNotice"}
    assert findings(answer, "missing-notices")
    assert not [f for f in answer["conflicts"] if f["rule"].startswith("sharealike")]


def test_s9_cdla_results_are_unrestricted(client: TestClient, ns: str) -> None:
    data, m = f"{ns}cdla-data", f"{ns}m"
    load(
        client,
        dataset(data, license="CDLA-Permissive-2.0"),
        model(m, model_type="llm", license="Apache-2.0", distribution="public"),
        edge("TRAINED_ON", m, data),
    )
    answer = licenses(client, m)
    assert [c for c in answer["clauses"] if c["origin"] == data] == []
    assert [f for f in answer["conflicts"] if f["origin"]["node"] == data] == []


def test_s10_mistral_research_license_outputs_in_a_commercial_model(
    client: TestClient, ns: str
) -> None:
    mistral, d, m = f"{ns}mistral-large-2411", f"{ns}d", f"{ns}m"
    load(
        client,
        model(mistral, model_type="llm", license="LicenseRef-mistral-research-license"),
        dataset(d),
        model(m, model_type="llm", intended_use="commercial"),
        edge("GENERATED_BY", d, mistral),
        edge("TRAINED_ON", m, d),
    )
    [finding] = findings(licenses(client, m), "commercial-use-vs-noncommercial")
    assert finding["origin"]["node"] == mistral
    assert hops(finding) == ["TRAINED_ON", "GENERATED_BY"]


def test_a_waiver_stops_the_clause_and_is_shown(client: TestClient, ns: str) -> None:
    gpt4, d, m = f"{ns}gpt-4", f"{ns}d", f"{ns}m"
    waiver = {
        "license": "LicenseRef-openai-terms",
        "granted_by": "OpenAI legal",
        "date": "2025-01-15",
    }
    load(
        client,
        model(gpt4, model_type="llm", license="LicenseRef-openai-terms"),
        dataset(d),
        model(m, model_type="llm", distribution="public"),
        edge("GENERATED_BY", d, gpt4),
        {**edge("TRAINED_ON", m, d), "waivers": [waiver]},
    )
    answer = licenses(client, m)
    assert findings(answer, "no-competing-models") == []
    [waived] = [w for w in answer["waived"] if w["clause"] == "no-competing-models"]
    assert waived["waiver"]["granted_by"] == "OpenAI legal" and waived["origin"] == gpt4


def test_unknown_licenses_are_never_permissive(client: TestClient, ns: str) -> None:
    odd, m = f"{ns}odd", f"{ns}m"
    load(
        client,
        dataset(odd, license="LicenseRef-some-custom-terms"),
        model(m, model_type="llm", license="MIT"),
        edge("TRAINED_ON", m, odd),
    )
    answer = licenses(client, m)
    assert answer["category"] == "academic-only"
    [finding] = [f for f in findings(answer, "unknown-terms") if f["origin"]["node"] == odd]
    assert finding["origin"]["license"] == "LicenseRef-some-custom-terms"


def test_unlicensed_ancestors_make_one_finding_witnessed_by_the_nearest(
    client: TestClient, ns: str
) -> None:
    chain, m = [f"{ns}d{i}" for i in range(5)], f"{ns}m"
    load(
        client,
        *(dataset(d) for d in chain),
        *(edge("DERIVED_FROM", child, parent) for parent, child in itertools.pairwise(chain)),
        model(m, model_type="llm", license="MIT"),
        edge("TRAINED_ON", m, chain[-1]),
    )
    answer = licenses(client, m)
    [finding] = findings(answer, "unknown-terms")  # not one per ancestor
    assert finding["origin"] == {"node": chain[-1], "license": None, "clause": None}
    assert "and 4 other ancestors likewise" in finding["explanation"]
    # The report's unknown terms are aggregated the same way: the nearest with its path, the
    # count of every unlicensed ancestor, and a few of them by name, nearest first.
    [unknown] = answer["unknown"]
    assert unknown["origin"] == chain[-1] and unknown["license"] is None
    assert unknown["path"] == [{"from": m, "to": chain[-1], "type": "TRAINED_ON"}]
    assert unknown["origins"] == len(chain)
    assert unknown["sample_origins"] == chain[::-1]


def test_an_aggregated_clause_keeps_the_strictest_witness(client: TestClient, ns: str) -> None:
    """Two origins of one no-derivatives clause: the nearest reaches the model through
    training (a warning), the other by fine-tuning (an error). The one finding for the
    clause must rest on the error's path, and count both origins."""
    trained, base, top, m = f"{ns}nd-data", f"{ns}base", f"{ns}nd-model", f"{ns}m"
    load(
        client,
        dataset(trained, license="CC-BY-ND-4.0"),
        model(top, model_type="llm", license="CC-BY-ND-4.0"),
        model(base, model_type="llm", license="Apache-2.0"),
        model(m, model_type="llm", distribution="public", license="Apache-2.0"),
        edge("TRAINED_ON", m, trained),
        edge("FINE_TUNED_FROM", m, base),
        edge("FINE_TUNED_FROM", base, top),
    )
    answer = licenses(client, m)
    [finding] = findings(answer, "no-derivatives-shared")
    assert finding["severity"] == "error" and finding["origin"]["node"] == top
    assert hops(finding) == ["FINE_TUNED_FROM", "FINE_TUNED_FROM"]
    assert "and 1 other ancestor likewise" in finding["explanation"]
    [clause] = [c for c in answer["clauses"] if c["clause"] == finding["origin"]["clause"]]
    assert clause["origins"] == 2 and clause["sample_origins"] == [trained, top]


def test_or_is_satisfied_by_any_alternative(client: TestClient, ns: str) -> None:
    either, m = f"{ns}either", f"{ns}m"
    load(
        client,
        dataset(either, license="CC-BY-NC-4.0 OR MIT"),
        model(m, model_type="llm", intended_use="commercial", license="MIT"),
        edge("TRAINED_ON", m, either),
    )
    answer = licenses(client, m)
    assert findings(answer, "commercial-use-vs-noncommercial") == []
    assert licenses(client, either)["category"] == "commercial"


def test_use_check_gives_a_verdict_for_a_planned_use(client: TestClient, ns: str) -> None:
    a, b = f"{ns}a", f"{ns}b"
    load(client, dataset(a, license="CC-BY-NC-4.0"), dataset(b), edge("DERIVED_FROM", b, a))
    body = {"artifact": b, "intended_use": "commercial", "distribution": "public"}
    verdict = client.post("/api/v1/use-check", json=body).json()
    assert verdict["allowed"] is False
    assert "commercial-use-vs-noncommercial" in {f["rule"] for f in verdict["findings"]}
    research = client.post("/api/v1/use-check", json={**body, "intended_use": "research"}).json()
    assert research["allowed"] is True


def test_alerts_and_webhooks_through_the_api(client: TestClient, ns: str) -> None:
    gpt4, d, m = f"{ns}gpt-4", f"{ns}d", f"{ns}m"
    secret = "s3cret-value-that-is-long-enough"
    created = client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "secret": secret}
    )
    assert created.status_code == 201 and secret not in created.text
    hook = created.json()
    assert hook["has_secret"] is True
    load(
        client,
        model(gpt4, model_type="llm", license="LicenseRef-openai-terms"),
        dataset(d),
        model(m, model_type="llm", distribution="public"),
        edge("GENERATED_BY", d, gpt4),
        edge("TRAINED_ON", m, d),
    )
    found = client.get("/api/v1/alerts", params={"artifact": m, "severity": "error"}).json()
    assert [a["rule"] for a in found] == ["no-competing-models"]
    assert any(a["node"] == m for a in client.get("/api/v1/conflicts").json())
    listed = client.get("/api/v1/webhooks")
    assert secret not in listed.text and hook["id"] in listed.text
    deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
    assert any(x["node"] == m and x["rule"] == "no-competing-models" for x in deliveries)
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    gone = client.delete(f"/api/v1/webhooks/{hook['id']}")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"


def test_a_fine_tune_inherits_its_base_models_violation(client: TestClient, ns: str) -> None:
    llama, mistral, d, m, child = (
        f"{ns}llama-2-70b-chat",
        f"{ns}mistral-7b",
        f"{ns}d",
        f"{ns}m",
        f"{ns}child",
    )
    load(
        client,
        model(llama, model_type="llm", family="llama-2", license="llama2"),
        model(mistral, model_type="llm", family="mistral", license="Apache-2.0"),
        dataset(d),
        model(m, model_type="llm", license="Apache-2.0"),
        model(child, model_type="llm", license="Apache-2.0"),
        edge("GENERATED_BY", d, llama),
        edge("TRAINED_ON", m, d),
        edge("FINE_TUNED_FROM", m, mistral),
        edge("FINE_TUNED_FROM", child, m),
    )
    # Under strict the clause itself reaches the child (FINE_TUNED_FROM is conservative);
    # under lenient it stops at m, and the child still learns of m's violation as taint.
    assert findings(licenses(client, child), "no-improve-other-llm")
    [taint] = findings(licenses(client, child, "lenient"), "no-improve-other-llm")
    assert taint["explanation"].startswith(f"Inherited from {m}")
    assert hops(taint)[0] == "FINE_TUNED_FROM" and taint["origin"]["node"] == llama


def test_every_finding_names_rule_origin_path_and_citation(
    client: TestClient, example_loaded: Path
) -> None:
    answer = licenses(client, "example:helpdesk-7b")
    assert answer["conflicts"]
    for finding in answer["conflicts"]:
        assert finding["rule"] and finding["origin"]["node"] and finding["path"] is not None
        assert finding["citation"] and finding["citation"]["url"].startswith("https://")
