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
from assay.data.lsh_store import CollectedShards
from assay.data.minhash import EMPTY, U16, MinHasher, band_keys
from assay.data.pipeline import Arrays, drop_positions
from assay.data.runs import ShardLists, ShardRuns, load, sorted_runs
from assay.data.stats import StepStats

_BATCH = 512  # documents per signature batch: big enough to amortise numpy calls, small enough for cache
RANGE_ENTRIES = 1 << 17  # hashes per exact-dedup reduce range: ~60 bytes each while sorted, so ~8 MB at most


def normalise(text: str) -> str:
    """NFKC, lower case, whitespace collapsed: what "the same content" means for exact dedup."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass
class ExactDedup:
    """Drop documents whose normalised text (128-bit BLAKE2b) was already seen; keep the first.

    `collect` writes each shard's hashes as a sorted run (see `assay.data.runs`): the high 64 bits as the
    run's keys, the low 64 bits in the same order. `reduce` reads the runs one range of high halves at a
    time over all shards (about `RANGE_ENTRIES` hashes), so the driver holds one range and the drop lists,
    not the corpus's hashes; equal hashes share their high half, so a range never cuts a duplicate group.
    """

    name: str = "exact_dedup"
    normalize: bool = True

    def collect(self, docs: Iterator[Document], stats: StepStats) -> Arrays:
        """Per shard: the sorted run of the 128-bit hash of each document (`hkeys`, `hpos`, `hlow`)."""
        rows = []
        for d in docs:
            text = normalise(d.text) if self.normalize else d.text
            rows.append(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        h = np.frombuffer(b"".join(rows), dtype=np.uint64).reshape(-1, 2)
        runs = sorted_runs(h[:, 0][None], np.ones(len(h), dtype=bool), "h")
        return {**runs, "hlow": h[runs["hpos"][0].astype(np.int64), 1][None]}

    def reduce(self, parts: list[Path], stats: StepStats) -> list[I64]:
        """Range by range, sort the hashes with their document numbers; every document after the first
        (in corpus order) of its hash is dropped."""
        store = ShardRuns(parts, [load(p, "hkeys").shape[1] for p in parts])
        drops = ShardLists(store.offsets)
        duplicates = clusters = 0
        for slices in store.ranges("h", 0, RANGE_ENTRIES):
            high, low, ids = store.take("hkeys", 0, slices), store.take("hlow", 0, slices), store.ids("h", 0, slices)
            order = np.lexsort((ids, low, high))
            high, low, ids = high[order], low[order], ids[order]
            dup = np.concatenate(([False], (high[1:] == high[:-1]) & (low[1:] == low[:-1])))
            drops.add(ids[dup])
            duplicates += int(dup.sum())
            clusters += int((dup[1:] & ~dup[:-1]).sum())  # groups of two or more: where a run of repeats starts
        stats.count("duplicates", duplicates)
        stats.count("clusters", clusters)
        return drops.lists()

    def apply(self, docs: Iterator[Document], drop: I64, stats: StepStats) -> Iterator[Document]:
        """Drop the exact duplicates chosen by `reduce`."""
        return drop_positions(docs, drop, stats, "exact_duplicate")


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
        runs = sorted_runs(band_keys(sig, self.bands, self.rows), valid, "b")
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
