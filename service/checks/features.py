"""Per-batch features of records: what the workers compute, in numpy, a batch at a time.

A batch is a list of (row index, text) pairs. The features are the exact hash, token count,
hashed vocabulary histogram, MinHash signature and LSH band hashes of each record with a
text, its word n-gram hashes, and its text-level flags (format, boilerplate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from datasketch.lsh import _optimal_param

from provgraph.service.checks.formats import text_error
from provgraph.service.checks.patterns import PatternSet
from provgraph.service.checks.text import (
    EMPTY_SIGNATURE,
    I64,
    U32,
    U64,
    TokenBatch,
    exact_hash,
    hash_tokens,
    minhash_signatures,
    ngram_hashes,
    normalise,
    words,
)

__all__ = [
    "LENGTH_BINS",
    "VOCAB_BUCKETS",
    "BatchFeatures",
    "FeatureConfig",
    "Flag",
    "compute_features",
    "lsh_params",
]

VOCAB_BUCKETS = 1 << 14  # hashed unigram buckets for the vocabulary divergence
LENGTH_BINS = 32
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

# (record, kind, reference, reference record, score, detail): one --details line.
Flag = tuple[int, str, str | None, int | None, float | None, str | None]


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows per band, from datasketch's optimiser, for a threshold 0.15 below the
    Jaccard threshold and false negatives weighted above false positives: candidates are
    verified on their signatures anyway, so the S-curve may sit low (at 0.8 with 128
    permutations: 21 bands of 6 rows, a pair at J = 0.8 is a candidate with p = 0.998)."""
    bands, rows = _optimal_param(max(0.3, threshold - 0.15), num_perm, 0.2, 0.8)
    return int(bands), int(rows)


@dataclass(frozen=True)
class FeatureConfig:
    ngram: int = 13
    shingle: int = 5
    num_perm: int = 128
    bands: int = 9
    rows: int = 13
    seed: int = 1


@dataclass
class BatchFeatures:
    rows: I64  # row index of each record with text (the arrays below follow it)
    exact: I64
    lengths: I64
    signatures: U32
    bands: U64
    ngrams: U64
    ngram_owner: I64  # position (into rows) of each n-gram's record
    vocab: I64
    flags: list[Flag] = field(default_factory=list)
    # For references: ngrams deduplicated in the worker, with the first row of each.
    ngram_rows: npt.NDArray[np.int32] | None = None

    @property
    def ngram_totals(self) -> I64:
        return np.bincount(self.ngram_owner, minlength=len(self.rows)).astype(np.int64)

    @property
    def usable(self) -> npt.NDArray[np.bool_]:
        """Records with a non-empty signature (at least one token)."""
        usable: npt.NDArray[np.bool_] = self.signatures[:, 0] != EMPTY_SIGNATURE
        return usable


def _band_hashes(signatures: U32, bands: int, rows: int) -> U64:
    out = np.zeros((len(signatures), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            acc = np.zeros(len(signatures), dtype=np.uint64)
            for column in range(band * rows, (band + 1) * rows):
                acc = acc * _GOLDEN + signatures[:, column].astype(np.uint64)
            out[:, band] = acc ^ (acc >> np.uint64(29))
    return out


def _shingles(tokens: TokenBatch, k: int) -> tuple[U64, I64]:
    """Word k-shingles; a record shorter than k (but not empty) gets one shingle of all its
    words, so short duplicates still collide."""
    hashes, owner = ngram_hashes(tokens, k)
    counts = tokens.counts
    short = np.flatnonzero((counts > 0) & (counts < k))
    if len(short) == 0:
        return hashes, owner
    extra_h, extra_o = [hashes], [owner]
    for position in short:
        begin, end = tokens.starts[position], tokens.starts[position + 1]
        one = TokenBatch(tokens.hashes[begin:end], np.array([0, end - begin], dtype=np.int64))
        h, _ = ngram_hashes(one, int(end - begin))
        extra_h.append(h)
        extra_o.append(np.full(len(h), position, dtype=np.int64))
    all_h, all_o = np.concatenate(extra_h), np.concatenate(extra_o)
    order = np.argsort(all_o, kind="stable")
    return all_h[order], all_o[order]


def compute_features(
    batch: list[tuple[int, str]], config: FeatureConfig, patterns: PatternSet | None
) -> BatchFeatures:
    """Features of one batch of (row index, text); ``patterns`` None skips the text flags
    (references are not judged, only indexed)."""
    flags: list[Flag] = []
    normalised: list[str] = []
    word_lists: list[list[bytes]] = []
    rows: list[int] = []
    for index, text in batch:
        if patterns is not None:
            problem = text_error(text)
            if problem is not None:
                flags.append(
                    (index, "format_error", None, None, None, f"{problem[0]}: {problem[1]}")
                )
                if problem[0] == "empty":
                    continue
        norm = normalise(text)
        tokens_here = words(norm)
        if patterns is not None:
            hit = patterns.match(norm, tokens_here)
            if hit is not None:
                flags.append((index, "boilerplate", hit.vendor, None, None, hit.id))
        rows.append(index)
        normalised.append(norm)
        word_lists.append(tokens_here)
    tokens = hash_tokens(word_lists)
    shingles, owner = _shingles(tokens, config.shingle)
    signatures = minhash_signatures(
        shingles, owner, len(rows), num_perm=config.num_perm, seed=config.seed
    )
    ngrams, ngram_owner = ngram_hashes(tokens, config.ngram)
    lengths = tokens.counts
    vocab = np.bincount(
        (tokens.hashes & np.uint64(VOCAB_BUCKETS - 1)).astype(np.int64), minlength=VOCAB_BUCKETS
    )
    return BatchFeatures(
        rows=np.asarray(rows, dtype=np.int64),
        exact=np.fromiter(map(exact_hash, normalised), dtype=np.int64, count=len(normalised)),
        lengths=lengths,
        signatures=signatures,
        bands=_band_hashes(signatures, config.bands, config.rows),
        ngrams=ngrams,
        ngram_owner=ngram_owner,
        vocab=vocab.astype(np.int64),
        flags=flags,
    )


def length_histogram(lengths: I64) -> I64:
    bins = np.minimum(np.log2(lengths + 1).astype(np.int64), LENGTH_BINS - 1)
    return np.bincount(bins, minlength=LENGTH_BINS).astype(np.int64)
