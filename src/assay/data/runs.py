"""Sorted runs on disk: how the dedup reduces read corpus-wide keys without holding them all in the driver.

`collect` (in the workers) writes, per shard, a run file `<prefix>keys.npy` of shape `(runs, m)`: each row
is one run of 64-bit keys sorted ascending, and `<prefix>pos.npy` the shard position of each key (ties in
position order). Near dedup keeps a run per LSH band; exact dedup one run of its hashes' high halves.

The reduce (in the driver) then reads a run as key ranges: it cuts the 64-bit key space into equal-width
ranges of about `budget` entries over the whole corpus; as each shard's row is sorted, a key range is one
slice per shard (found by binary search in a memory map), so a range costs its own entries and no more.
The keys are hashes, so equal-width ranges hold about equal numbers of entries; only a bucket of identical
keys larger than the budget (massive boilerplate) makes a range larger, as a bucket is never cut.
Global document numbers are shard offset + position, so the order of documents is the corpus order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.data.lsh import I64, U64

Slices = list[tuple[int, int, int]]  # (shard, lo, hi) of one key range, in shard order


def sorted_runs(keys: U64, valid: npt.NDArray[np.bool_], prefix: str) -> dict[str, npt.NDArray[Any]]:
    """Per shard, from `(runs, n)` keys: each row's keys of the `valid` documents, sorted, and their
    positions (ties in position order, so a bucket lists its members in corpus order)."""
    ids = np.flatnonzero(valid)
    rkeys = np.empty((keys.shape[0], len(ids)), dtype=np.uint64)
    rpos = np.empty((keys.shape[0], len(ids)), dtype=np.uint32 if len(valid) < 2**32 else np.int64)
    for r in range(keys.shape[0]):  # a row at a time: temporaries of one row, not of the whole matrix
        row = keys[r, ids]
        order = np.argsort(row, kind="stable")
        rkeys[r] = row[order]
        rpos[r] = ids[order]
    return {f"{prefix}keys": rkeys, f"{prefix}pos": rpos}


def load(part: Path, key: str) -> npt.NDArray[Any]:
    """A collected array, memory-mapped: reading a slice touches only that slice's pages."""
    arr: npt.NDArray[Any] = np.load(part / f"{key}.npy", mmap_mode="r")
    return arr


class ShardRuns:
    """The collected run files of every shard, addressed by global document number (shard, then position)."""

    def __init__(self, parts: list[Path], sizes: list[int]) -> None:
        self.parts = parts
        self.offsets: I64 = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)

    @property
    def size(self) -> int:
        """Documents in the corpus."""
        return int(self.offsets[-1])

    def ranges(self, prefix: str, row: int, budget: int) -> Iterator[Slices]:
        """Row `row` of the runs `prefix`, as the per-shard slices of key ranges of about `budget` entries
        over all shards, ascending; ranges that no shard has an entry in are skipped."""
        counts = np.array([load(p, f"{prefix}keys").shape[1] for p in self.parts], dtype=np.int64)
        n_ranges = max(1, -(-int(counts.sum()) // budget))
        cuts = np.zeros((len(self.parts), n_ranges + 1), dtype=np.int64)
        cuts[:, -1] = counts
        if n_ranges > 1:
            bounds = np.array([(r << 64) // n_ranges for r in range(1, n_ranges)], dtype=np.uint64)
            for s, part in enumerate(self.parts):
                cuts[s, 1:-1] = np.searchsorted(load(part, f"{prefix}keys")[row], bounds)
        for r in range(n_ranges):
            shards = np.flatnonzero(cuts[:, r + 1] > cuts[:, r]).tolist()
            if shards:
                yield [(s, int(cuts[s, r]), int(cuts[s, r + 1])) for s in shards]

    def take(self, key: str, row: int, slices: Slices) -> npt.NDArray[Any]:
        """Row `row` of array `key` over a key range's slices, concatenated in shard order (a copy)."""
        return np.concatenate([np.array(load(self.parts[s], key)[row, lo:hi]) for s, lo, hi in slices])

    def ids(self, prefix: str, row: int, slices: Slices) -> I64:
        """Global document numbers of a key range's entries: in shard order, so among equal keys ascending."""
        parts = [
            load(self.parts[s], f"{prefix}pos")[row, lo:hi].astype(np.int64) + self.offsets[s] for s, lo, hi in slices
        ]
        return np.concatenate(parts)

    def split(self, ids: I64) -> list[I64]:
        """Ascending global document numbers as positions within each shard."""
        cuts = np.searchsorted(ids, self.offsets)
        return [(ids[cuts[s] : cuts[s + 1]] - self.offsets[s]).astype(np.int64) for s in range(len(self.parts))]


class ShardLists:
    """Global document numbers gathered in pieces (one per key range), kept as positions per shard.

    As 4-byte positions while gathering (where every shard has under 2**32 documents), and with no
    corpus-wide concatenate-and-sort at the end: `lists` sorts one shard at a time, so the peak is about
    the final int64 lists, 8 bytes per number, rather than three or four copies of them.
    """

    def __init__(self, offsets: I64) -> None:
        self.offsets = offsets
        small = len(offsets) < 2 or int(np.diff(offsets).max()) < 2**32
        self.dtype = np.uint32 if small else np.int64
        self.pieces: list[list[npt.NDArray[Any]]] = [[] for _ in range(len(offsets) - 1)]

    def add(self, ids: I64) -> None:
        """Add global document numbers (any order)."""
        ids = np.sort(ids)
        cuts = np.searchsorted(ids, self.offsets)
        for s in np.flatnonzero(cuts[1:] > cuts[:-1]).tolist():
            self.pieces[s].append((ids[cuts[s] : cuts[s + 1]] - self.offsets[s]).astype(self.dtype))

    def lists(self) -> list[I64]:
        """Each shard's positions, ascending, as int64; the pieces are released shard by shard."""
        out: list[I64] = []
        for s, pieces in enumerate(self.pieces):
            out.append(np.sort(np.concatenate(pieces)).astype(np.int64) if pieces else np.empty(0, np.int64))
            self.pieces[s] = []
        return out
