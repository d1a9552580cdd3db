"""The license knowledge base (``service/licensing/kb/*.yaml``): loads, covers DPI, is right.

No database needed. The DPI checks read ``shared/data/dpi/license_rules.json`` next to the
repository and are skipped when a clone comes without it.
"""

from __future__ import annotations

import json
from collections import deque
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from license_expression import get_spdx_licensing

from provgraph.service.licensing.kb import (
    ClauseType,
    DpiClass,
    GrantType,
    KnowledgeBase,
    LicenseEntry,
    Mode,
    Role,
    load_kb,
)
from provgraph.service.models import EdgeKind

REPO = Path(__file__).resolve().parents[1]
DPI_RULES = Path(__file__).resolve().parents[2] / "shared/data/dpi/license_rules.json"
EXAMPLE = REPO / "examples/llm-supply-chain.ndjson"
KB_DIR = resources.files("provgraph.service.licensing").joinpath("kb")
KB_FILES = sorted(p.name for p in KB_DIR.iterdir() if p.name.endswith(".yaml"))

REQUIRED_IDS = [
    # Creative Commons and other data licenses
    "CC0-1.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0",
    "CC-BY-2.0",
    "CC-BY-2.5",
    "CC-BY-3.0",
    "CC-BY-SA-2.0",
    "CC-BY-SA-3.0",
    "CC-BY-NC-2.0",
    "CC-BY-NC-3.0",
    "CC-BY-NC-SA-3.0",
    "CC-BY-NC-ND-3.0",
    "CC-BY-NC-ND-4.0",
    "ODbL-1.0",
    "ODC-By-1.0",
    "PDDL-1.0",
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0",
    "OGL-UK-3.0",
    "C-UDA-1.0",
    # code licenses
    "MIT",
    "Apache-2.0",
    "GPL-2.0-only",
    "GPL-3.0-only",
    "LGPL-2.1-only",
    "LGPL-3.0-only",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Artistic-2.0",
    "AFL-3.0",
    "EPL-1.0",
    "MPL-2.0",
    # model licenses
    "LicenseRef-creativeml-openrail-m",
    "LicenseRef-scancode-bigscience-open-rail-m",
    "LicenseRef-scancode-bigscience-rail-1.0",
    "LicenseRef-scancode-bigcode-open-rail-m-v1",
    "LicenseRef-llama1-noncommercial",
    "LicenseRef-scancode-llama-2-license-2023",
    "LicenseRef-llama3-community",
    "LicenseRef-scancode-llama-3.1-license-2024",
    "LicenseRef-scancode-llama-3.2-license-2024",
    "LicenseRef-scancode-llama-3.3-license-2024",
    "LicenseRef-scancode-gemma-tou-2025-03-24",
    "LicenseRef-mistral-research-license",
    "LicenseRef-scancode-tongyi-qianwen-2023",
    "LicenseRef-scancode-qwen-2024",
    "LicenseRef-qwen-research",
    "LicenseRef-scancode-deepseek-la-1.0",
    # vendor terms
    "LicenseRef-openai-terms",
    "LicenseRef-anthropic-terms",
    "LicenseRef-gemini-api-terms",
    # DPI's unknown-ish names
    "LicenseRef-unspecified",
    "LicenseRef-various",
    "LicenseRef-unclear",
    "LicenseRef-request-form",
    "LicenseRef-no-license",
    "LicenseRef-public-domain",
]

# Aliases that must resolve to a given entry (SPDX/ScanCode/Hugging Face spellings).
REQUIRED_ALIASES = {
    "GPL-3.0-or-later": "GPL-3.0-only",
    "llama2": "LicenseRef-scancode-llama-2-license-2023",
    "llama3": "LicenseRef-llama3-community",
    "llama3.1": "LicenseRef-scancode-llama-3.1-license-2024",
    "llama3.2": "LicenseRef-scancode-llama-3.2-license-2024",
    "llama3.3": "LicenseRef-scancode-llama-3.3-license-2024",
    "gemma": "LicenseRef-scancode-gemma-tou-2025-03-24",
    "LicenseRef-scancode-gemma-tou-2024-04-01": "LicenseRef-scancode-gemma-tou-2025-03-24",
    "mrl": "LicenseRef-mistral-research-license",
    "LicenseRef-scancode-openai-tou-20230314": "LicenseRef-openai-terms",
    "creativeml-openrail-m": "LicenseRef-creativeml-openrail-m",
    "bigscience-openrail-m": "LicenseRef-scancode-bigscience-open-rail-m",
}

# DPI paraphrases deliberately left unresolved (they name no particular license; mapping them to
# CC0 as DPI does would turn an unknown license into a permissive one).
UNMAPPED_PARAPHRASES = {
    "## creative commons",
    "Creative Commons",
    "cc",
    "Creative Commons Public License (CCPL)",
}
# DPI paraphrases that resolve to another entry than their DPI name: they name another document.
REMAPPED_PARAPHRASES = {
    "cc-by-2.0": "CC-BY-2.0",  # listed under 'CC BY 3.0'
    "Public Domain Mark 1.0": "CC-PDM-1.0",  # listed under 'CC0 1.0'
    # listed under 'CC0 1.0', but it is the DPI name 'Public Domain' (aliases are case-insensitive)
    "Public domain": "LicenseRef-public-domain",
    "GNU Affero General Public License v3.0": "AGPL-3.0-only",  # listed under GPL v3
    "agpl-3.0": "AGPL-3.0-only",
    "ms-pl": "MS-PL",  # listed under 'Microsoft Data Licensing Agreement'
}
# Where DPI's class of a name differs from the class of the entry the name maps to.
DPI_CLASS_OVERRIDES = {
    "MIT": ("MIT", ["All", "0", "0"]),
    "CC BY-NC-SA": ("CC-BY-NC-SA-4.0", ["NC", "1", "0"]),
}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="module")
def rules() -> dict[str, Any]:
    if not DPI_RULES.is_file():
        pytest.skip(
            f"DPI license rules not found at {DPI_RULES} (repository cloned without shared/)"
        )
    data: dict[str, Any] = json.loads(DPI_RULES.read_text(encoding="utf-8"))
    return data


def as_tuple(klass: DpiClass) -> list[str]:
    return [klass.use, klass.attribution, klass.share_alike]


def dpi_entry_id(kb: KnowledgeBase, name: str) -> str:
    found = kb.resolve_dpi(name)
    assert found is not None, name
    entry_id: str = found[0].id
    return entry_id


# ------------------------------------------------------------------------------------------------
# Loading and identity


@pytest.mark.parametrize("filename", KB_FILES)
def test_each_file_validates_and_is_named_after_its_id(filename: str) -> None:
    text = KB_DIR.joinpath(filename).read_text(encoding="utf-8")
    entry = LicenseEntry.model_validate(yaml.safe_load(text))
    assert filename == f"{entry.id}.yaml"


def test_load_kb_loads_every_file(kb: KnowledgeBase) -> None:
    assert len(kb) == len(KB_FILES)


def test_required_ids_exist(kb: KnowledgeBase) -> None:
    missing = [i for i in REQUIRED_IDS if i not in kb.entries]
    assert not missing


@pytest.mark.parametrize(("alias", "entry_id"), sorted(REQUIRED_ALIASES.items()))
def test_required_aliases_resolve(kb: KnowledgeBase, alias: str, entry_id: str) -> None:
    found = kb.resolve(alias)
    assert found is not None and found.id == entry_id


def test_ids_parse_as_single_license_keys(kb: KnowledgeBase) -> None:
    licensing = get_spdx_licensing()
    for entry in kb:
        parsed = licensing.parse(entry.id, validate=False)
        assert licensing.license_keys(parsed) == [entry.id], entry.id


def test_example_graph_licenses_resolve(kb: KnowledgeBase) -> None:
    licensing = get_spdx_licensing()
    ids = set()
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line) if line.strip() else {}
        if record.get("license"):
            ids.update(licensing.license_keys(licensing.parse(record["license"], validate=False)))
    assert ids
    assert sorted(i for i in ids if kb.resolve(i) is None) == []


# ------------------------------------------------------------------------------------------------
# Hygiene of every entry


def test_every_clause_cites_an_https_source(kb: KnowledgeBase) -> None:
    for entry in kb:
        assert entry.sources and all(s.url.startswith("https://") for s in entry.sources), entry.id
        for clause in entry.clauses:
            assert clause.citation.url.startswith("https://"), (entry.id, clause.id)
            assert clause.citation.section or clause.citation.quote, (entry.id, clause.id)


def test_effective_dates_are_not_in_the_future(kb: KnowledgeBase) -> None:
    assert [e.id for e in kb if e.effective_date > date.today()] == []


def test_clause_ids_are_unique_per_entry(kb: KnowledgeBase) -> None:
    for entry in kb:
        ids = [c.id for c in entry.clauses]
        assert len(ids) == len(set(ids)), entry.id


def test_outputs_clauses_enter_through_generated_data(kb: KnowledgeBase) -> None:
    for entry in kb:
        for clause in entry.clauses:
            if {Role.OUTPUTS, Role.MODELS_TRAINED_ON_OUTPUTS} & set(clause.role):
                assert EdgeKind.GENERATED_BY in clause.entry, (entry.id, clause.id)


def test_share_alike_targets_resolve(kb: KnowledgeBase) -> None:
    for entry in kb:
        for clause in entry.clauses:
            if clause.type is ClauseType.SHARE_ALIKE:
                targets = clause.params["targets"] + clause.params.get("compatible_targets", [])
                assert all(kb.resolve(t) is not None for t in targets), (entry.id, targets)
                assert isinstance(clause.params["forbids_additional_terms"], bool), entry.id


# ------------------------------------------------------------------------------------------------
# Data Provenance Initiative coverage


def test_every_dpi_license_name_has_dpis_class(kb: KnowledgeBase, rules: dict[str, Any]) -> None:
    names = rules["license_classes"]
    assert len(names) == 66
    wrong = {}
    for name, klass in names.items():
        found = kb.resolve_dpi(name)
        if found is None or as_tuple(found[1]) != klass:
            wrong[name] = (klass, found and (found[0].id, as_tuple(found[1])))
    assert wrong == {}


def test_every_dpi_custom_url_has_dpis_class(kb: KnowledgeBase, rules: dict[str, Any]) -> None:
    urls = rules["custom_license_classes_by_url"]
    assert len(urls) == 79
    wrong = {}
    for url, klass in urls.items():
        found = kb.resolve_dpi(url)
        if (
            found is None
            or as_tuple(found[1]) != klass
            or not found[0].id.startswith("LicenseRef-custom-")
        ):
            wrong[url] = (klass, found and (found[0].id, as_tuple(found[1])))
    assert wrong == {}
    # and the URL resolves as an ordinary alias too
    assert all(kb.resolve(url) is not None for url in urls)


def test_dpi_names_resolve_as_aliases_to_the_same_entry(
    kb: KnowledgeBase, rules: dict[str, Any]
) -> None:
    for name in rules["license_classes"]:
        found = kb.resolve(name)
        assert found is not None and found.id == dpi_entry_id(kb, name), name


def test_dpi_special_terms(kb: KnowledgeBase, rules: dict[str, Any]) -> None:
    for name, spec in rules["special_terms"].items():
        found = kb.resolve_dpi(name)
        assert found is not None and as_tuple(found[1]) == spec["class"], name


def test_bare_custom_name_is_dpis_unknown_class(kb: KnowledgeBase) -> None:
    found = kb.resolve_dpi("Custom")
    assert found is not None and found[0].id == "LicenseRef-custom-unknown"
    assert as_tuple(found[1]) == ["?", "?", "?"]


def test_paraphrases_resolve_to_the_entry_of_their_dpi_name(
    kb: KnowledgeBase, rules: dict[str, Any]
) -> None:
    custom_urls = rules["custom_license_classes_by_url"]
    wrong = {}
    for dpi_name, paraphrases in rules["license_paraphrases"].items():
        for p in paraphrases:
            if p in UNMAPPED_PARAPHRASES:
                continue
            if p in REMAPPED_PARAPHRASES:
                expected = REMAPPED_PARAPHRASES[p]
            elif dpi_name == "Custom":  # DPI's placeholder: the URL's class, else the unknown one
                expected = dpi_entry_id(kb, p if p in custom_urls else "Custom")
            else:
                expected = dpi_entry_id(kb, dpi_name)
            found = kb.resolve(p)
            if found is None or found.id != expected:
                wrong[p] = (expected, found and found.id)
    assert wrong == {}


def test_unmapped_paraphrases_stay_unknown(kb: KnowledgeBase) -> None:
    assert [p for p in UNMAPPED_PARAPHRASES if kb.resolve(p) is not None] == []


def test_dpi_class_overrides_are_exactly_the_documented_ones(kb: KnowledgeBase) -> None:
    overrides = {}
    for entry in kb:
        for name, klass in entry.aliases.dpi.items():
            if klass is not None and klass != entry.dpi:
                overrides[name] = (entry.id, as_tuple(klass))
    assert overrides == {k: (v[0], v[1]) for k, v in DPI_CLASS_OVERRIDES.items()}


def test_dpi_credit_on_dpi_derived_entries(kb: KnowledgeBase) -> None:
    for entry in kb:
        if entry.id.startswith("LicenseRef-custom-"):
            assert (
                entry.notes
                and "Data Provenance Initiative" in entry.notes
                and "Apache-2.0" in entry.notes
            )
            assert "ce6662deccf011574427b6f112df479d261960b8" in entry.sources[0].url


# ------------------------------------------------------------------------------------------------
# Facts the conflict rules depend on


def clauses_of(kb: KnowledgeBase, entry_id: str, ctype: ClauseType) -> list[Any]:
    entry = kb.entries[entry_id]
    return [c for c in entry.clauses if c.type is ctype]


def test_noncommercial_and_research_only(kb: KnowledgeBase) -> None:
    assert clauses_of(kb, "CC-BY-NC-4.0", ClauseType.NON_COMMERCIAL)
    mrl = clauses_of(kb, "LicenseRef-mistral-research-license", ClauseType.RESEARCH_ONLY)
    assert mrl and Role.OUTPUTS in mrl[0].role
    llama1 = clauses_of(kb, "LicenseRef-llama1-noncommercial", ClauseType.RESEARCH_ONLY)
    assert llama1 and Role.OUTPUTS in llama1[0].role
    assert llama1[0].mode(EdgeKind.FINE_TUNED_FROM) is Mode.ALWAYS
    assert clauses_of(kb, "LicenseRef-qwen-research", ClauseType.NON_COMMERCIAL)


def test_cdla_results_carve_out(kb: KnowledgeBase) -> None:
    assert kb.entries["CDLA-Permissive-2.0"].has_grant(GrantType.RESULTS_UNRESTRICTED)
    assert kb.entries["CDLA-Sharing-1.0"].has_grant(GrantType.RESULTS_UNRESTRICTED)


@pytest.mark.parametrize(
    "entry_id",
    ["LicenseRef-openai-terms", "LicenseRef-anthropic-terms", "LicenseRef-gemini-api-terms"],
)
def test_vendor_terms_bar_competing_models_from_outputs(kb: KnowledgeBase, entry_id: str) -> None:
    entry = kb.entries[entry_id]
    assert entry.basis == "contract" and entry.is_contract
    found = clauses_of(kb, entry_id, ClauseType.NO_COMPETING_MODELS)
    assert found and found[0].role == [Role.OUTPUTS] and found[0].binding_scope == "acceptor"


@pytest.mark.parametrize(
    ("entry_id", "family"),
    [
        ("LicenseRef-scancode-llama-2-license-2023", "llama-2"),
        ("LicenseRef-llama3-community", "llama-3"),
        ("LicenseRef-scancode-tongyi-qianwen-2023", "tongyi-qianwen"),
    ],
)
def test_no_improve_other_llm(kb: KnowledgeBase, entry_id: str, family: str) -> None:
    found = clauses_of(kb, entry_id, ClauseType.NO_IMPROVE_OTHER_LLM)
    assert found and found[0].params["exempt_family"] == family
    assert Role.OUTPUTS in found[0].role and found[0].mode(EdgeKind.TRAINED_ON) is Mode.ALWAYS


@pytest.mark.parametrize(
    "entry_id",
    [
        "LicenseRef-scancode-llama-3.1-license-2024",
        "LicenseRef-scancode-llama-3.2-license-2024",
        "LicenseRef-scancode-llama-3.3-license-2024",
        "LicenseRef-scancode-qwen-2024",
    ],
)
def test_no_improve_ban_absent_in_later_terms(kb: KnowledgeBase, entry_id: str) -> None:
    assert not clauses_of(kb, entry_id, ClauseType.NO_IMPROVE_OTHER_LLM)


def test_llama_name_prefixes(kb: KnowledgeBase) -> None:
    (p31,) = clauses_of(
        kb, "LicenseRef-scancode-llama-3.1-license-2024", ClauseType.MODEL_NAME_PREFIX
    )
    assert p31.params["prefix"] == "Llama" and Role.OUTPUTS in p31.role
    (p3,) = clauses_of(kb, "LicenseRef-llama3-community", ClauseType.MODEL_NAME_PREFIX)
    assert p3.params["prefix"] == "Llama 3" and p3.role == [Role.MATERIAL]


def test_gemma_outputs_and_model_derivatives(kb: KnowledgeBase) -> None:
    gemma = kb.entries["LicenseRef-scancode-gemma-tou-2025-03-24"]
    assert gemma.has_grant(GrantType.OUTPUTS_NOT_DERIVATIVE)
    pass_on = clauses_of(kb, gemma.id, ClauseType.PASS_ON_USE_RESTRICTIONS)
    assert any(Role.MODELS_TRAINED_ON_OUTPUTS in c.role for c in pass_on)
    assert all(Role.OUTPUTS not in c.role for c in pass_on)


def test_cc_by_sa_share_alike(kb: KnowledgeBase) -> None:
    (sa,) = clauses_of(kb, "CC-BY-SA-4.0", ClauseType.SHARE_ALIKE)
    assert sa.params["forbids_additional_terms"] is True
    assert "GPL-3.0-only" in sa.params["compatible_targets"]
    assert sa.params["targets"] == ["CC-BY-SA-4.0"]


def test_odbl_share_alike_stays_with_databases(kb: KnowledgeBase) -> None:
    (sa,) = clauses_of(kb, "ODbL-1.0", ClauseType.SHARE_ALIKE)
    assert sa.mode(EdgeKind.TRAINED_ON) is Mode.NEVER
    (pwn,) = clauses_of(kb, "ODbL-1.0", ClauseType.PRODUCED_WORK_NOTICE)
    assert pwn.mode(EdgeKind.TRAINED_ON) is Mode.ALWAYS


# ------------------------------------------------------------------------------------------------
# The worked scenarios (licenses.md §4.6), walked with the documented semantics: a material clause
# is active at the licensed node; an outputs clause enters at the nodes its `entry` edges point
# from; a models-trained-on-outputs clause enters the same way but counts at models only; then
# every instance crosses each edge per `propagates` (conservative = strict policy only);
# ResultsUnrestricted stops TRAINED_ON. This is a reference walk over the KB data, not the engine.

MODEL, DATASET = "model", "dataset"


def walk(
    kb: KnowledgeBase,
    nodes: dict[str, tuple[str, str | None]],
    edges: list[tuple[str, str, str]],
    strict: bool = True,
) -> set[tuple[str, str, ClauseType]]:
    """(node, license id, clause type) active at each node; ``edges`` are (child, kind, parent)."""
    allowed = {Mode.ALWAYS, Mode.CONSERVATIVE} if strict else {Mode.ALWAYS}
    children: dict[str, list[tuple[str, EdgeKind]]] = {}
    for child, kind, parent in edges:
        children.setdefault(parent, []).append((child, EdgeKind(kind)))
    active: set[tuple[str, str, ClauseType]] = set()
    for origin, (_, license_id) in nodes.items():
        if license_id is None:
            continue
        entry = kb.resolve(license_id)
        assert entry is not None, license_id
        carve_out = entry.has_grant(GrantType.RESULTS_UNRESTRICTED)
        for clause in entry.clauses:
            starts: list[tuple[str, bool]] = []  # (node, counts only at models)
            if Role.MATERIAL in clause.role:
                starts.append((origin, False))
            for role in (Role.OUTPUTS, Role.MODELS_TRAINED_ON_OUTPUTS):
                if role in clause.role:
                    starts += [
                        (c, role is Role.MODELS_TRAINED_ON_OUTPUTS)
                        for c, k in children.get(origin, [])
                        if k in clause.entry
                    ]
            seen = set(starts)
            queue = deque(starts)
            while queue:
                node, models_only = queue.popleft()
                if not models_only or nodes[node][0] == MODEL:
                    active.add((node, entry.id, clause.type))
                for child, kind in children.get(node, []):
                    if kind is EdgeKind.TRAINED_ON and carve_out:
                        continue
                    if clause.mode(kind) in allowed and (child, models_only) not in seen:
                        seen.add((child, models_only))
                        queue.append((child, models_only))
    return active


def types_at(active: set[tuple[str, str, ClauseType]], node: str) -> set[ClauseType]:
    return {t for n, _, t in active if n == node}


def test_s1_openai_outputs_reach_the_trained_model(kb: KnowledgeBase) -> None:
    nodes = {
        "gpt-4": (MODEL, "LicenseRef-openai-terms"),
        "D": (DATASET, "CC-BY-4.0"),
        "M": (MODEL, None),
    }
    edges = [("D", "GENERATED_BY", "gpt-4"), ("M", "TRAINED_ON", "D")]
    for strict in (True, False):
        assert ClauseType.NO_COMPETING_MODELS in types_at(walk(kb, nodes, edges, strict), "M")


def test_s2_s3_derived_data(kb: KnowledgeBase) -> None:
    nodes = {
        "A": (DATASET, "CC-BY-NC-4.0"),
        "B": (DATASET, "CC-BY-4.0"),
        "X": (DATASET, "CC-BY-SA-4.0"),
        "C": (DATASET, None),
    }
    active = walk(
        kb,
        nodes,
        [("B", "DERIVED_FROM", "A"), ("C", "DERIVED_FROM", "A"), ("C", "DERIVED_FROM", "X")],
        strict=False,
    )
    assert ClauseType.NON_COMMERCIAL in types_at(active, "B")
    assert {ClauseType.NON_COMMERCIAL, ClauseType.SHARE_ALIKE} <= types_at(active, "C")


def test_s4_openrail_pass_on_reaches_fine_tunes_and_their_distillates(kb: KnowledgeBase) -> None:
    nodes = {
        "sd-1.5": (MODEL, "creativeml-openrail-m"),
        "M2": (MODEL, "Apache-2.0"),
        "imgs": (DATASET, None),
        "M3": (MODEL, None),
    }
    edges = [
        ("M2", "FINE_TUNED_FROM", "sd-1.5"),
        ("imgs", "GENERATED_BY", "M2"),
        ("M3", "TRAINED_ON", "imgs"),
    ]
    active = walk(kb, nodes, edges, strict=False)
    assert ClauseType.PASS_ON_USE_RESTRICTIONS in types_at(active, "M2")
    assert ClauseType.PASS_ON_USE_RESTRICTIONS in types_at(active, "M3")
    assert ClauseType.PASS_ON_USE_RESTRICTIONS not in types_at(active, "imgs")
    assert ClauseType.USE_RESTRICTIONS in types_at(active, "imgs")


def test_s5_llama2_bans_improving_others_llama31_asks_for_the_name(kb: KnowledgeBase) -> None:
    edges = [
        ("D", "GENERATED_BY", "gen"),
        ("M", "TRAINED_ON", "D"),
        ("M", "FINE_TUNED_FROM", "mistral-7b"),
    ]
    for strict in (True, False):
        nodes = {
            "gen": (MODEL, "llama2"),
            "D": (DATASET, None),
            "M": (MODEL, None),
            "mistral-7b": (MODEL, "Apache-2.0"),
        }
        assert ClauseType.NO_IMPROVE_OTHER_LLM in types_at(walk(kb, nodes, edges, strict), "M")
        nodes["gen"] = (MODEL, "llama3.1")
        at_m = types_at(walk(kb, nodes, edges, strict), "M")
        assert ClauseType.NO_IMPROVE_OTHER_LLM not in at_m
        assert {ClauseType.MODEL_NAME_PREFIX, ClauseType.BRANDING_DISPLAY} <= at_m


def test_s6_fine_tune_inherits_llama33_terms(kb: KnowledgeBase) -> None:
    nodes = {
        "deepseek-r1": (MODEL, "MIT"),
        "R1-data": (DATASET, None),
        "R1-Distill-Llama-70B": (MODEL, None),
        "llama-3.3-70b-instruct": (MODEL, "llama3.3"),
    }
    edges = [
        ("R1-data", "GENERATED_BY", "deepseek-r1"),
        ("R1-Distill-Llama-70B", "TRAINED_ON", "R1-data"),
        ("R1-Distill-Llama-70B", "FINE_TUNED_FROM", "llama-3.3-70b-instruct"),
    ]
    at = types_at(walk(kb, nodes, edges, strict=False), "R1-Distill-Llama-70B")
    assert {
        ClauseType.NOTICE_FILE,
        ClauseType.INCLUDE_LICENSE_COPY,
        ClauseType.USE_RESTRICTIONS,
        ClauseType.USER_THRESHOLD,
        ClauseType.MODEL_NAME_PREFIX,
    } <= at


def test_s7_gemma_outputs_are_free_distillates_are_derivatives(kb: KnowledgeBase) -> None:
    nodes = {"gemma-2-9b": (MODEL, "gemma"), "D": (DATASET, None), "M": (MODEL, "MIT")}
    edges = [("D", "GENERATED_BY", "gemma-2-9b"), ("M", "TRAINED_ON", "D")]
    strict = walk(kb, nodes, edges, strict=True)
    assert types_at(strict, "D") == {ClauseType.USE_RESTRICTIONS}
    assert types_at(walk(kb, nodes, edges, strict=False), "D") == set()
    assert {ClauseType.PASS_ON_USE_RESTRICTIONS, ClauseType.NOTICE_FILE} <= types_at(strict, "M")


def test_s8_odbl_training_needs_only_a_notice(kb: KnowledgeBase) -> None:
    nodes = {"osm-extract": (DATASET, "ODbL-1.0"), "M": (MODEL, None)}
    assert types_at(walk(kb, nodes, [("M", "TRAINED_ON", "osm-extract")]), "M") == {
        ClauseType.PRODUCED_WORK_NOTICE
    }


def test_s9_cdla_results_are_unrestricted(kb: KnowledgeBase) -> None:
    for license_id in (
        "CDLA-Permissive-2.0",
        "CDLA-Permissive-1.0",
        "CDLA-Sharing-1.0",
        "C-UDA-1.0",
    ):
        nodes = {"cdla-data": (DATASET, license_id), "M": (MODEL, None)}
        assert types_at(walk(kb, nodes, [("M", "TRAINED_ON", "cdla-data")]), "M") == set(), (
            license_id
        )


def test_s10_mrl_outputs_stay_research_only(kb: KnowledgeBase) -> None:
    nodes = {"mistral-large-2411": (MODEL, "mrl"), "D": (DATASET, None), "M": (MODEL, None)}
    edges = [("D", "GENERATED_BY", "mistral-large-2411"), ("M", "TRAINED_ON", "D")]
    assert ClauseType.RESEARCH_ONLY in types_at(walk(kb, nodes, edges, strict=False), "M")
