"""Text features, computed a batch of records at a time with numpy.

Normalisation is NFKC, case folding and collapsed whitespace; tokens are the word runs of the
normalised text (``\\w+``, so punctuation and spacing never make two texts differ). Each token
is hashed once (CRC-32); word n-grams (for contamination) and word shingles (for MinHash)
are combined from the token hashes with vectorised arithmetic over the whole batch, and
windows that would cross from one record into the next are dropped.

MinHash signatures follow datasketch's ``affine32`` scheme bit for bit: each shingle hash
is pre-mixed with the MurmurHash3 finaliser, then ``a * h + b`` (mod 2^32) for each of the
permutations of ``datasketch.MinHash(num_perm, seed)``; a record's signature is the
column-wise minimum (``tests/test_checks_text.py`` compares it with datasketch's own).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from datasketch import MinHash

__all__ = [
    "EMPTY_SIGNATURE",
    "TokenBatch",
    "exact_hash",
    "hash_tokens",
    "minhash_permutations",
    "minhash_signatures",
    "ngram_hashes",
    "normalise",
    "tokenise_batch",
    "words",
]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_WORD = re.compile(r"\w+")
EMPTY_SIGNATURE = np.uint32(0xFFFFFFFF)
# Odd 64-bit multipliers (from splitmix64) that make an n-gram hash position-dependent.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


# Every ASCII character str.split() splits on, to a space (a few `in` tests find the ones
# other than the space faster than isprintable() would).
_OTHER_SPACES = [c for c in map(chr, range(128)) if c.isspace() and c != " "]
_ASCII_WHITESPACE = str.maketrans(dict.fromkeys(_OTHER_SPACES, " "))


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed and stripped: what "the same text" means."""
    if text.isascii():  # ASCII is NFKC-stable and casefolds as lower(): skip both passes
        lowered = text.lower()
        if any(space in lowered for space in _OTHER_SPACES):
            lowered = lowered.translate(_ASCII_WHITESPACE)
        if "  " not in lowered:  # single spaces only: collapsing is stripping the ends
            return lowered.strip(" ")
        return " ".join(lowered.split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def exact_hash(normalised: str) -> int:
    """64-bit BLAKE2b of the normalised text (as a signed int, to fit numpy int64)."""
    digest = hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


@dataclass(frozen=True)
class TokenBatch:
    """The tokens of a batch of records, concatenated: ``hashes[starts[i]:starts[i+1]]``
    are record i's token hashes."""

    hashes: U64
    starts: I64

    @property
    def counts(self) -> I64:
        return np.diff(self.starts)

    def __len__(self) -> int:
        return len(self.starts) - 1


# For ASCII text, \w+ is: split on spaces after turning every non-word character into one
# (bytes.translate and bytes.split run in C, about twice as fast as findall; a byte table
# is faster again than str.translate).
_ASCII_SEPARATORS = bytes(
    c if c < 128 and (chr(c).isalnum() or c == ord("_")) else ord(" ") for c in range(256)
)


def words(normalised: str) -> list[bytes]:
    r"""The tokens of a normalised text (its ``\w+`` runs), UTF-8 encoded."""
    if normalised.isascii():
        return normalised.encode("ascii").translate(_ASCII_SEPARATORS).split()
    return [word.encode("utf-8") for word in _WORD.findall(normalised)]


def hash_tokens(word_lists: list[list[bytes]]) -> TokenBatch:
    """Token hashes (CRC-32) of each record's words, concatenated."""
    tokens = list(itertools.chain.from_iterable(word_lists))
    starts = np.zeros(len(word_lists) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, word_lists), np.int64, len(word_lists)), out=starts[1:])
    hashes = np.fromiter(map(zlib.crc32, tokens), dtype=np.uint64, count=len(tokens))
    return TokenBatch(hashes, starts)


def tokenise_batch(normalised: list[str]) -> TokenBatch:
    """Token hashes of each normalised text, concatenated."""
    return hash_tokens([words(text) for text in normalised])


def _splitmix(values: U64) -> U64:
    values = (values ^ (values >> np.uint64(30))) * _MIX1
    values = (values ^ (values >> np.uint64(27))) * _MIX2
    return values ^ (values >> np.uint64(31))


def ngram_hashes(batch: TokenBatch, n: int) -> tuple[U64, I64]:
    """64-bit hashes of every word n-gram, and the record each belongs to.

    A record with fewer than ``n`` tokens has none. Arithmetic wraps mod 2^64 on purpose.
    """
    total = len(batch.hashes)
    if total < n:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    windows = total - n + 1
    with np.errstate(over="ignore"):
        acc = np.zeros(windows, dtype=np.uint64)
        for j in range(n):  # in place: no temporaries of the batch's size per step
            np.multiply(acc, _GOLDEN, out=acc)
            np.add(acc, batch.hashes[j : j + windows], out=acc)
            np.add(acc, np.uint64(j + 1), out=acc)
        acc = _splitmix(acc)
    owner = np.repeat(np.arange(len(batch), dtype=np.int64), batch.counts)[:windows]
    # A window is valid when it ends inside the record it starts in.
    valid = np.arange(windows, dtype=np.int64) + n <= batch.starts[owner + 1]
    return acc[valid], owner[valid]


@cache
def minhash_permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """datasketch's affine32 permutations for ``(num_perm, seed)``."""
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32)


def _fmix32(values: U32) -> U32:
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def minhash_signatures(
    shingles: U64, owner: I64, records: int, *, num_perm: int, seed: int = 1, chunk: int = 8192
) -> U32:
    """One MinHash signature per record (``records x num_perm`` uint32). A record without
    shingles keeps the empty signature (all 0xFFFFFFFF), which matches nothing.

    Permutations are laid out one per row (``num_perm x chunk``): the per-record minimum is
    then a reduction along contiguous rows, about twice as fast as the transposed layout.
    The chunk's products go into one reused buffer; 8192 shingles a chunk (4 MB) measured
    about twice as fast as 1024 (fewer partial records to merge, less per-call overhead)."""
    a, b = minhash_permutations(num_perm, seed)
    signatures = np.full((records, num_perm), EMPTY_SIGNATURE, dtype=np.uint32)
    if len(shingles) == 0:
        return signatures
    with np.errstate(over="ignore"):
        # Fold the 64-bit shingle hash to 32 bits, as a 32-bit hashfunc would give.
        folded = ((shingles >> np.uint64(32)) ^ shingles).astype(np.uint32)
        mixed = _fmix32(folded)
        buffer = np.empty((num_perm, min(chunk, len(mixed))), dtype=np.uint32)
        for begin in range(0, len(mixed), chunk):
            part = mixed[begin : begin + chunk]
            rows = owner[begin : begin + chunk]
            permuted = buffer[:, : len(part)]
            np.multiply(a[:, None], part[None, :], out=permuted)
            np.add(permuted, b[:, None], out=permuted)
            # Shingles are grouped by record: reduce each record's run to its minimum.
            cuts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            mins = np.minimum.reduceat(permuted, cuts, axis=1)
            targets = rows[cuts]
            signatures[targets] = np.minimum(signatures[targets], mins.T)
    return signatures


def folded_shingle(value: int) -> int:
    """The 32-bit value a shingle hash is folded to (what datasketch's hashfunc returns)."""
    return ((value >> 32) ^ value) & 0xFFFFFFFF
