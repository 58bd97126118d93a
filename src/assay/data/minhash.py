"""MinHash signatures and LSH band keys, vectorised in numpy.

Shingles are word n-grams (`\\w+` on lower-cased text, so tokenisation is one regex). Each shingle has a
stable 64-bit hash (`textutil`); permutation k is the multiply-add hash `a_k * x + b_k (mod 2^64)` with odd
`a_k`, evaluated for all shingles of a cache-sized block of documents at once, with the per-document
minimum taken by one `np.minimum.reduceat` per permutation. The top 16 bits of the minimum are kept
(b-bit MinHash, Li and Koenig 2010): the minimum of the full values, shifted, equals the minimum of the shifted
values, and 16 bits add only (1 - J) / 65536 to the estimated Jaccard while halving signature memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from assay.data.textutil import U64, mix64, shingle_hashes, word_hashes, words

U16 = npt.NDArray[np.uint16]
EMPTY = np.uint16(0xFFFF)  # signature of a document with no words: never a candidate
_BLOCK = 32768  # shingles per block: 256 KB of uint64, stays in cache across the permutation loop


@dataclass
class MinHasher:
    """Computes `num_perm`-wide MinHash signatures of word `ngram` shingles.

    >>> m = MinHasher(num_perm=16, ngram=2)
    >>> sig = m.signatures(["the cat sat on the mat", "the cat sat on the mat"])
    >>> bool((sig[0] == sig[1]).all())
    True
    """

    num_perm: int = 128
    ngram: int = 5
    seed: int = 1
    _a: U64 = field(init=False, repr=False)
    _b: U64 = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        hi = np.iinfo(np.uint64).max
        self._a = rng.integers(1, hi, size=self.num_perm, dtype=np.uint64, endpoint=True) | np.uint64(1)
        self._b = rng.integers(0, hi, size=self.num_perm, dtype=np.uint64, endpoint=True)

    def shingles(self, text: str) -> U64:
        """The shingle hashes of one text (repeats included)."""
        # repeated shingles do not change a minimum, so no np.unique here
        return shingle_hashes(word_hashes(words(text)), self.ngram)

    def signatures(self, texts: Sequence[str]) -> U16:
        """An `(len(texts), num_perm)` uint16 matrix; rows of word-less texts are all `EMPTY`."""
        sh = [self.shingles(t) for t in texts]
        return self.signatures_from_shingles(sh)

    def signatures_from_shingles(self, sh: Sequence[U64]) -> U16:
        """Signatures from per-document shingle hash arrays."""
        n = len(sh)
        sig = np.full((n, self.num_perm), EMPTY, dtype=np.uint16)
        lengths = np.fromiter((len(s) for s in sh), dtype=np.int64, count=n)
        start = 0
        while start < n:
            # grow the block until it holds _BLOCK shingles (at least one document)
            end, total = start, 0
            while end < n and (total == 0 or total + lengths[end] <= _BLOCK):
                total += int(lengths[end])
                end += 1
            idx = np.arange(start, end)[lengths[start:end] > 0]
            if len(idx):
                sig[idx] = self._block(np.concatenate([sh[i] for i in idx]), lengths[idx])
            start = end
        return sig

    def _block(self, flat: U64, lengths: npt.NDArray[np.int64]) -> U16:
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        out = np.empty((self.num_perm, len(lengths)), dtype=np.uint64)
        tmp = np.empty(len(flat), dtype=np.uint64)
        # one permutation at a time over a cache-sized block: several times faster than one big
        # (shingles x permutations) matrix, which is bound by memory bandwidth
        for k in range(self.num_perm):
            np.multiply(flat, self._a[k], out=tmp)
            tmp += self._b[k]
            out[k] = np.minimum.reduceat(tmp, offsets)
        return (out.T >> np.uint64(48)).astype(np.uint16)


def band_keys(sig: U16, bands: int, rows: int) -> U64:
    """A `(bands, n)` matrix: one 64-bit key per band per document (equal rows in a band -> equal key)."""
    if bands * rows > sig.shape[1]:
        raise ValueError(f"bands x rows = {bands * rows} exceeds the signature width {sig.shape[1]}")
    n = sig.shape[0]
    keys = np.empty((bands, n), dtype=np.uint64)
    wide = sig.astype(np.uint64)
    with np.errstate(over="ignore"):
        for b in range(bands):
            acc = np.full(n, np.uint64(b + 1) * np.uint64(0x9E3779B97F4A7C15), dtype=np.uint64)
            for r in range(rows):
                acc = acc * np.uint64(0x100000001B3) + wide[:, b * rows + r]
            keys[b] = mix64(acc)
    return keys
