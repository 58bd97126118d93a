"""Deduplication steps: exact (normalised content hash) and near (MinHash + LSH + union-find).

Both are `GlobalStep`s: `collect` hashes each shard where it lies, `reduce` decides once over the whole
corpus which documents to drop, `apply` drops them shard by shard. The rule for which document of a
duplicate cluster survives is stated by `keep`: `first` (default) keeps the earliest in corpus order (input
shards in sorted path order, then line order), `longest` keeps the longest text (ties: the earliest).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.data.document import Document
from assay.data.errors import DataPipelineError
from assay.data.lsh import I64, cluster
from assay.data.lsh_store import CollectedShards, band_runs
from assay.data.minhash import EMPTY, U16, MinHasher, band_keys
from assay.data.pipeline import Arrays, drop_positions
from assay.data.stats import StepStats

_BATCH = 512  # documents per signature batch: big enough to amortise numpy calls, small enough for cache


def normalise(text: str) -> str:
    """NFKC, lower case, whitespace collapsed: what "the same content" means for exact dedup."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _load(part: Path, key: str) -> npt.NDArray[np.generic]:
    arr: npt.NDArray[np.generic] = np.load(part / f"{key}.npy", mmap_mode="r")
    return arr


@dataclass
class ExactDedup:
    """Drop documents whose normalised text (128-bit BLAKE2b) was already seen; keep the first."""

    name: str = "exact_dedup"
    normalize: bool = True

    def collect(self, docs: Iterator[Document], stats: StepStats) -> Arrays:
        """Per shard: a 128-bit hash of each document as two uint64 columns."""
        rows = []
        for d in docs:
            text = normalise(d.text) if self.normalize else d.text
            rows.append(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        arr = np.frombuffer(b"".join(rows), dtype=np.uint64).reshape(-1, 2)
        return {"hash": arr}

    def reduce(self, parts: list[Path], stats: StepStats) -> list[I64]:
        """Sort all hashes once; every document after the first of its hash is dropped."""
        hashes = [np.asarray(_load(p, "hash")) for p in parts]
        sizes = [len(h) for h in hashes]
        allh = np.concatenate(hashes) if hashes else np.empty((0, 2), np.uint64)
        n = len(allh)
        order = np.lexsort((np.arange(n), allh[:, 1], allh[:, 0]))
        s = allh[order]
        dup_sorted = np.concatenate(([False], (s[1:] == s[:-1]).all(axis=1)))
        drop = np.zeros(n, dtype=bool)
        drop[order[dup_sorted]] = True
        stats.count("duplicates", int(drop.sum()))
        stats.count("clusters", int((dup_sorted[1:] & ~dup_sorted[:-1]).sum()) if n > 1 else 0)
        return _split(drop, sizes)

    def apply(self, docs: Iterator[Document], drop: I64, stats: StepStats) -> Iterator[Document]:
        """Drop the exact duplicates chosen by `reduce`."""
        return drop_positions(docs, drop, stats, "exact_duplicate")


def _split(drop: npt.NDArray[np.bool_], sizes: list[int]) -> list[I64]:
    out, start = [], 0
    for size in sizes:
        out.append(np.flatnonzero(drop[start : start + size]).astype(np.int64))
        start += size
    return out


@dataclass
class NearDedup:
    """MinHash near-dedup: word `ngram` shingles, `num_perm` permutations, `bands` x `rows` LSH banding,
    candidates verified by estimated Jaccard >= `threshold`, clusters by union-find, one kept per `keep`.

    The defaults (256 permutations, 32 bands of 8 rows) make a pair at Jaccard 0.8 a candidate with
    probability 1 - (1 - 0.8^8)^32 = 0.997, and one at 0.5 with probability 0.12 (then rejected by the
    verification), so errors near the threshold come from the estimate (standard error 0.025 at 0.8), not
    from the banding; 256 rather than 128 permutations costs about 15% in speed, as tokenising dominates.
    """

    name: str = "near_dedup"
    ngram: int = 5
    num_perm: int = 256
    bands: int = 32
    rows: int = 8
    threshold: float = 0.8
    keep: str = "first"
    seed: int = 1
    _hasher: MinHasher = field(init=False, repr=False)

    def __post_init__(self) -> None:
        where = f"steps: {self.name}"
        if self.bands * self.rows > self.num_perm:
            raise DataPipelineError(
                f"bands x rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}",
                where=where,
                fix="lower bands or rows, or raise num_perm",
            )
        if not 0.0 < self.threshold <= 1.0:
            raise DataPipelineError(f"threshold must be in (0, 1], got {self.threshold}", where=where)
        if self.keep not in ("first", "longest"):
            raise DataPipelineError(f"unknown keep rule {self.keep!r}", where=where, fix="use first or longest")
        if self.ngram < 1 or self.num_perm < 1:
            raise DataPipelineError("ngram and num_perm must be positive", where=where)
        self._hasher = MinHasher(num_perm=self.num_perm, ngram=self.ngram, seed=self.seed)

    def signatures(self, texts: list[str]) -> U16:
        """MinHash signatures of texts (rows of `EMPTY` for texts without words)."""
        return self._hasher.signatures(texts)

    def collect(self, docs: Iterator[Document], stats: StepStats) -> Arrays:
        """Per shard: signatures, lengths, and each band's keys as a sorted run (see `lsh_store`)."""
        sigs: list[U16] = []
        lengths: list[int] = []
        batch: list[str] = []
        for d in docs:
            batch.append(d.text)
            lengths.append(len(d.text))
            if len(batch) >= _BATCH:
                sigs.append(self.signatures(batch))
                batch = []
        if batch:
            sigs.append(self.signatures(batch))
        sig = np.concatenate(sigs) if sigs else np.empty((0, self.num_perm), np.uint16)
        valid = ~(sig == EMPTY).all(axis=1)  # word-less documents are never candidates
        runs = band_runs(band_keys(sig, self.bands, self.rows), valid)
        return {"sig": sig, "length": np.asarray(lengths, dtype=np.int64), **runs}

    def reduce(self, parts: list[Path], stats: StepStats) -> list[I64]:
        """Band, verify, cluster and choose over the whole corpus, reading the collected arrays in pieces:
        driver memory follows one band partition and the candidate pairs, not the corpus size."""
        shards = CollectedShards(parts)
        res = cluster(shards.partitions(self.bands), shards.rows, shards.lengths, self.threshold, self.keep)
        for key, value in res.info.items():
            stats.count(key, value)
        return shards.split(res.drop)

    def apply(self, docs: Iterator[Document], drop: I64, stats: StepStats) -> Iterator[Document]:
        """Drop the near duplicates chosen by `reduce`."""
        return drop_positions(docs, drop, stats, "near_duplicate")

    def find(self, texts: list[str]) -> NearDupResult:
        """In memory (notebooks, tests): the verified pairs, clusters and drops for a list of texts."""
        sig = self.signatures(texts)
        keys = band_keys(sig, self.bands, self.rows)
        ids = np.flatnonzero(~(sig == EMPTY).all(axis=1)).astype(np.int64)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        parts = ((keys[b][ids], ids) for b in range(self.bands))
        res = cluster(parts, lambda x: sig[x], lambda x: lengths[x], self.threshold, self.keep)
        roots = np.arange(len(texts), dtype=np.int64)
        roots[res.nodes] = res.roots
        drop = np.zeros(len(texts), dtype=bool)
        drop[res.drop] = True
        return NearDupResult(res.i, res.j, res.similarity, roots, drop)


@dataclass
class NearDupResult:
    """Verified pairs (i < j) with their estimated Jaccard, cluster roots and the drop mask."""

    i: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    j: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    similarity: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    roots: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    drop: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
