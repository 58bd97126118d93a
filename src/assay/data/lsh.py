"""LSH banding, candidate verification by estimated Jaccard, and union-find clustering, all in numpy.

Documents are numbered globally in corpus order (shard, then position). Band keys arrive as partitions
(a band, or a key range of a band) of `(keys, ids)` with ids ascending among equal keys. In a partition,
documents with equal keys fall in one bucket; a bucket of m documents yields the m-1 pairs of a chain
(sorted neighbours) and the m-1 pairs of a star (first member to each other), which is linear in m even
for huge buckets of boilerplate, and across bands catches what one bucket's pairs miss. The distinct
candidate pairs of all partitions are verified by estimated Jaccard (the fraction of equal signature
entries) and the kept pairs merged by a vectorised union-find over the documents that occur in a kept pair
only, whose roots are the smallest global number, i.e. the first document of each cluster. Nothing here is
sized by the corpus: memory follows one partition, and the candidate pairs (which follow the duplicates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
_VERIFY_BATCH = 8192  # pairs per verification batch: two 8192 x num_perm uint16 blocks, a few MB


def bucket_pairs(keys: npt.NDArray[np.uint64], ids: I64) -> tuple[I64, I64]:
    """Candidate pairs (i < j) among `ids` that share a key in one band."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    d = ids[order]
    same = k[1:] == k[:-1]
    if not same.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # chain: neighbours in sorted order
    ci, cj = d[:-1][same], d[1:][same]
    # star: the first member of each bucket to every other member
    starts = np.concatenate(([True], ~same))
    first = d[np.flatnonzero(starts)][np.cumsum(starts) - 1]
    member = ~starts
    si, sj = first[member], d[member]
    i = np.concatenate((ci, si))
    j = np.concatenate((cj, sj))
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keep = lo != hi
    return lo[keep], hi[keep]


def unique_pairs(i: I64, j: I64) -> tuple[I64, I64]:
    """Deduplicate pairs (i < j), sorted by (i, j)."""
    if len(i) == 0:
        return i, j
    if int(j.max()) < 2**32:  # one uint64 per pair sorts several times faster than rows of two
        code = np.unique((i.astype(np.uint64) << np.uint64(32)) | j.astype(np.uint64))
        return (code >> np.uint64(32)).astype(np.int64), (code & np.uint64(0xFFFFFFFF)).astype(np.int64)
    pairs = np.unique(np.stack([i, j], axis=1), axis=0)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


@dataclass
class PairSet:
    """Distinct pairs, merged in batches whose size doubles with the set, so adding costs O(log) per pair."""

    i: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    j: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    _pending: list[tuple[I64, I64]] = field(default_factory=list)
    _pending_n: int = 0

    def add(self, i: I64, j: I64) -> None:
        """Add pairs (i < j); repeats are removed."""
        if len(i) == 0:
            return
        i, j = unique_pairs(i, j)  # a bucket's pairs repeat across partitions of one band rarely, within often
        self._pending.append((i, j))
        self._pending_n += len(i)
        if self._pending_n >= max(len(self.i), 1 << 20):
            self._merge()

    def pairs(self) -> tuple[I64, I64]:
        """All distinct pairs, sorted by (i, j)."""
        self._merge()
        return self.i, self.j

    def _merge(self) -> None:
        if self._pending:
            parts = [(self.i, self.j), *self._pending]
            self.i, self.j = unique_pairs(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
            self._pending, self._pending_n = [], 0


def candidate_pairs(partitions: Iterable[tuple[U64, I64]]) -> tuple[I64, I64]:
    """All distinct candidate pairs over band partitions of `(keys, ids)`."""
    found = PairSet()
    for keys, ids in partitions:
        found.add(*bucket_pairs(keys, ids))
    return found.pairs()


def estimated_jaccard(
    i: I64, j: I64, rows: Callable[[I64], npt.NDArray[np.uint16]], batch: int = _VERIFY_BATCH
) -> npt.NDArray[np.float64]:
    """Fraction of equal MinHash entries for each pair; `rows(ids)` returns the signatures of `ids`."""
    out = np.empty(len(i), dtype=np.float64)
    for s in range(0, len(i), batch):
        a = rows(i[s : s + batch])
        b = rows(j[s : s + batch])
        out[s : s + batch] = (a == b).mean(axis=1)
    return out


def union_find(n: int, i: I64, j: I64) -> I64:
    """Root of every node after merging pairs; each root is the smallest node of its component."""
    parent = np.arange(n, dtype=np.int64)
    if len(i) == 0:
        return parent
    while True:
        pi, pj = parent[i], parent[j]
        diff = pi != pj
        if not diff.any():
            return parent
        lo, hi = np.minimum(pi, pj)[diff], np.maximum(pi, pj)[diff]
        np.minimum.at(parent, hi, lo)  # hook the larger root under the smaller one
        while True:  # pointer jumping until every node points at its root
            nxt = parent[parent]
            if (nxt == parent).all():
                break
            parent = nxt


def choose_kept(roots: I64, lengths: I64 | None, keep: str) -> npt.NDArray[np.bool_]:
    """Which documents to drop: all but one per cluster, by rule `first` (corpus order) or `longest`."""
    n = len(roots)
    drop = roots != np.arange(n)
    if keep == "first" or not drop.any():
        return np.asarray(drop, dtype=bool)
    if keep != "longest" or lengths is None:
        raise ValueError(f"unknown keep rule {keep!r}")
    # longest text wins; ties go to the earlier document (stable sort on -length)
    order = np.lexsort((np.arange(n), -lengths, roots))
    r = roots[order]
    head = np.concatenate(([True], r[1:] != r[:-1]))
    drop = np.ones(n, dtype=bool)
    drop[order[head]] = False
    return drop


@dataclass
class Clusters:
    """Verified pairs (i < j) with their estimated Jaccard; the documents in them (`nodes`, ascending) with
    the root of each (its cluster's first document); the documents to drop (ascending); counters."""

    i: I64
    j: I64
    similarity: npt.NDArray[np.float64]
    nodes: I64
    roots: I64
    drop: I64
    info: dict[str, int]


def cluster(
    partitions: Iterable[tuple[U64, I64]],
    rows: Callable[[I64], npt.NDArray[np.uint16]],
    lengths: Callable[[I64], I64],
    threshold: float,
    keep: str,
) -> Clusters:
    """Candidates from band partitions, verification, union-find, choice of the kept document."""
    i, j = candidate_pairs(partitions)
    est = estimated_jaccard(i, j, rows)
    ok = est >= threshold
    vi, vj = i[ok], j[ok]
    nodes = np.union1d(vi, vj)
    # union-find over the documents of verified pairs only: numbered by rank, which keeps their order,
    # so the smallest rank of a component is its first document
    ranks = union_find(len(nodes), np.searchsorted(nodes, vi), np.searchsorted(nodes, vj))
    drop = choose_kept(ranks, lengths(nodes) if keep == "longest" else None, keep)
    members = np.bincount(ranks) if len(ranks) else np.zeros(0, np.int64)
    info = {
        "candidate_pairs": len(i),
        "verified_pairs": len(vi),
        "clusters": int((members > 1).sum()),
        "duplicates": int(drop.sum()),
    }
    return Clusters(vi, vj, est[ok], nodes, nodes[ranks], nodes[drop], info)
