"""LSH banding, candidate verification by estimated Jaccard, and union-find clustering, all in numpy.

Documents are numbered globally in corpus order (shard, then position). In each band, documents with equal
keys fall in one bucket; a bucket of m documents yields the m-1 pairs of a chain (sorted neighbours) and the
m-1 pairs of a star (first member to each other), which is linear in m even for huge buckets of boilerplate,
and across bands catches what one bucket's pairs miss. A candidate pair is kept when its estimated Jaccard
(the fraction of equal signature entries) reaches the threshold. Kept pairs are merged by a vectorised
union-find whose roots are the smallest global number, i.e. the first document of each cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


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
    """Deduplicate pairs (i < j)."""
    if len(i) == 0:
        return i, j
    pairs = np.unique(np.stack([i, j], axis=1), axis=0)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def candidate_pairs(band_keys: Iterable[npt.NDArray[np.uint64]], valid: npt.NDArray[np.bool_]) -> tuple[I64, I64]:
    """All distinct candidate pairs over bands; `valid` masks out documents that take no part (no words)."""
    ids = np.flatnonzero(valid).astype(np.int64)
    all_i: list[I64] = []
    all_j: list[I64] = []
    for keys in band_keys:
        i, j = bucket_pairs(np.asarray(keys)[ids], ids)
        i, j = unique_pairs(i, j)  # per band, so the concatenation stays small
        all_i.append(i)
        all_j.append(j)
    if not all_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return unique_pairs(np.concatenate(all_i), np.concatenate(all_j))


def estimated_jaccard(
    i: I64, j: I64, rows: Callable[[I64], npt.NDArray[np.uint16]], batch: int = 65536
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
