"""Text features of the checker: normalisation, n-grams, MinHash against datasketch itself."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from datasketch import MinHash

from provgraph.service.checks.corpus import BOILERPLATE, NEAR_MISSES
from provgraph.service.checks.features import lsh_params
from provgraph.service.checks.formats import text_error
from provgraph.service.checks.index import jensen_shannon
from provgraph.service.checks.patterns import Pattern, PatternSet, load_patterns
from provgraph.service.checks.text import (
    EMPTY_SIGNATURE,
    exact_hash,
    folded_shingle,
    minhash_signatures,
    ngram_hashes,
    normalise,
    tokenise_batch,
    words,
)

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank today.",
    "A completely different sentence about databases, graphs and provenance of data.",
    "short one",
    "",
]


def test_normalisation_sees_through_case_spacing_and_compatibility_forms() -> None:
    assert normalise("  Hello\tWORLD \n") == normalise("hello world")
    assert normalise("ﬁne") == normalise("fine")  # NFKC ligature
    assert exact_hash(normalise("A  b")) == exact_hash(normalise("a b"))
    assert exact_hash(normalise("a b")) != exact_hash(normalise("a c"))


def test_ngrams_never_span_two_records() -> None:
    batch = tokenise_batch([normalise(t) for t in TEXTS])
    _, owner = ngram_hashes(batch, 3)
    counts = batch.counts.tolist()
    assert np.bincount(owner, minlength=len(TEXTS)).tolist() == [max(0, c - 2) for c in counts]
    # The same 3-gram in two records hashes the same; a different order does not.
    one = tokenise_batch(["a b c d", "x a b c"])
    h, o = ngram_hashes(one, 3)
    assert h[0] == h[3] and o[0] == 0 and o[3] == 1
    assert len(set(h.tolist())) == 3


def test_minhash_equals_datasketch_affine32() -> None:
    batch = tokenise_batch([normalise(t) for t in TEXTS])
    shingles, owner = ngram_hashes(batch, 2)
    ours = minhash_signatures(shingles, owner, len(TEXTS), num_perm=64, seed=3, chunk=5)
    for record in range(len(TEXTS)):
        theirs = MinHash(num_perm=64, seed=3, scheme="affine32", hashfunc=lambda v: v)
        values = [folded_shingle(int(v)) for v in shingles[owner == record]]
        if not values:
            assert (ours[record] == EMPTY_SIGNATURE).all()
            continue
        theirs.update_batch(values)
        assert ours[record].tolist() == theirs.hashvalues.tolist()


def test_lsh_parameters_make_threshold_pairs_candidates() -> None:
    bands, rows = lsh_params(0.8, 128)
    assert bands * rows <= 128
    assert 1 - (1 - 0.8**rows) ** bands > 0.99
    assert 1 - (1 - 0.3**rows) ** bands < 0.05


def test_jensen_shannon_bounds() -> None:
    p = np.array([5, 5, 0, 0])
    assert jensen_shannon(p, p) == 0.0
    assert jensen_shannon(p, np.array([0, 0, 3, 3])) == pytest.approx(1.0)
    assert 0 < jensen_shannon(p, np.array([5, 4, 1, 0])) < 0.2


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("   ", "empty"),
        ("Caf\u00c3\u00a9 au lait is nice.", "encoding"),
        ("Broken \ufffd char.", "encoding"),
        ("One sentence ends. The next one stops in the mid", "truncated"),
        ("```python\nprint(1)\n", "truncated"),
        ("A title without an end", None),
        ("A whole sentence. And another one!", None),
        ("Café au lait is nice.", None),
    ],
)
def test_text_format_errors(text: str, kind: str | None) -> None:
    found = text_error(text)
    assert (found[0] if found else None) == kind


def _match(patterns: PatternSet, text: str) -> Pattern | None:
    norm = normalise(text)
    return patterns.match(norm, words(norm))


def test_patterns_find_boilerplate_and_vendors_but_not_near_misses() -> None:
    patterns = load_patterns()
    hit = _match(patterns, "Sure! As an AI language model, I can't do that.")
    assert hit is not None and hit.kind == "boilerplate"
    vendor = _match(patterns, "I'm ChatGPT, a large language model trained by OpenAI.")
    assert vendor is not None and vendor.vendor == "OpenAI"
    for text in ("Claude Monet painted lilies.", "The model was trained on an AI benchmark."):
        assert _match(patterns, text) is None


def test_keyword_prefilter_never_hides_a_match() -> None:
    shipped = load_patterns()
    unfiltered = PatternSet([replace(p, keywords=frozenset()) for p in shipped.patterns])
    texts = (
        [phrase for phrase, _ in BOILERPLATE]
        + NEAR_MISSES
        + [
            "My knowledge cut-off is 2023.",
            "I'm Le Chat, made by Mistral AI.",
            "I don't have the ability to browse.",
            "I am Bard.",
            "As a virtual assistant, hi.",
        ]
    )
    for text in texts:
        with_filter, without = _match(shipped, text), _match(unfiltered, text)
        assert (with_filter and with_filter.id) == (without and without.id), text
    assert sum(_match(shipped, t) is not None for t in texts) == len(BOILERPLATE) + 5
