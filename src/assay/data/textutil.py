"""Fast, stable word tokenisation and vectorised n-gram hashing shared by near-dedup and contamination.

Words are hashed once each (cached per process) with xxh3; n-gram hashes are then built as a polynomial over
the word hashes in numpy, so no Python work is done per shingle. Hashes are stable across processes and
machines (unlike Python's `hash`), which the multi-process and Ray executors rely on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

try:  # xxhash is several times faster than blake2b; both are stable across processes.
    import xxhash

    def _hash_bytes(data: bytes) -> int:
        return int(xxhash.xxh3_64_intdigest(data))

except ImportError:  # pragma: no cover - exercised only where xxhash is missing

    def _hash_bytes(data: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


U64 = npt.NDArray[np.uint64]
WORD_RE = re.compile(r"\w+")
_POLY = np.uint64(0x100000001B3)  # odd multiplier (FNV prime): polynomial combination of word hashes
_CACHE_LIMIT = 1_000_000  # bound memory: the word cache is cleared when it grows past this many entries
_word_cache: dict[str, int] = {}


def words(text: str) -> list[str]:
    """Lower-cased `\\w+` words: the default tokenisation for shingles and contamination n-grams."""
    return WORD_RE.findall(text.lower())


def hash_text(data: str) -> int:
    """A stable 64-bit hash of a string."""
    return _hash_bytes(data.encode("utf-8", "surrogatepass"))


def word_hashes(tokens: Sequence[str]) -> U64:
    """Stable 64-bit hashes of `tokens`, computed once per distinct word per process."""
    cache = _word_cache
    if len(cache) > _CACHE_LIMIT:
        cache.clear()
    out = []
    for w in tokens:
        h = cache.get(w)
        if h is None:
            h = cache[w] = _hash_bytes(w.encode("utf-8", "surrogatepass"))
        out.append(h)
    return np.array(out, dtype=np.uint64)


def mix64(x: U64) -> U64:
    """splitmix64 finaliser: spreads the bits of the polynomial hash so that low and high bits are both random."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def ngram_hashes(h: U64, n: int) -> U64:
    """Hashes of all n-grams of word hashes `h` (length `len(h) - n + 1`; empty if `len(h) < n`)."""
    count = len(h) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        acc = h[:count].copy()
        for k in range(1, n):
            acc *= _POLY
            acc += h[k : k + count]
        return mix64(acc)


def shingle_hashes(h: U64, n: int) -> U64:
    """Like `ngram_hashes`, but a document shorter than `n` words yields one shingle of all its words."""
    if 0 < len(h) < n:
        return ngram_hashes(h, len(h))
    return ngram_hashes(h, n)


def shingle_set(text: str, n: int) -> set[tuple[str, ...]]:
    """Exact word n-gram set (the brute-force oracle for Jaccard; matches `shingle_hashes` tokenisation)."""
    toks = words(text)
    if 0 < len(toks) < n:
        return {tuple(toks)}
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    """Exact Jaccard similarity of two shingle sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
