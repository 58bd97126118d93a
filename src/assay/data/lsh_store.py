"""Near-dedup's collected arrays on disk, read back by the reduce in pieces of bounded size.

`collect` (in the workers) writes, per shard: `sig.npy` (signatures), `length.npy` (text lengths) and the
band keys as sorted runs, `bkeys.npy` (bands x documents with words, each row sorted) with `bpos.npy` (the
shard position of each key). The reduce (in the driver) then never holds a corpus-sized array:

- band keys are read one partition at a time: a band, cut into key ranges of about `PARTITION_ENTRIES`
  entries over the whole corpus; as each shard's row is sorted, a key range is one slice per shard;
- signatures (for verification) and lengths (for `keep: longest`) are read row by row for the documents
  asked for, so the driver holds only those rows and no file handle stays open per shard;
- drop lists come back as global document numbers and are split per shard.

Keys are 64-bit mixed hashes, so equal-width key ranges hold about equal numbers of entries; only a bucket
of identical keys larger than the budget (massive boilerplate) makes a partition larger, as a bucket is
never cut.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.data.lsh import I64, U64

PARTITION_ENTRIES = 1 << 21  # band keys per partition: ~40 bytes each while grouped, so ~80 MB at most


def band_runs(keys: U64, valid: npt.NDArray[np.bool_]) -> dict[str, npt.NDArray[Any]]:
    """Per shard, from `(bands, n)` keys: each band's keys of the documents with words, sorted, and their
    positions (ties in position order, so a bucket lists its members in corpus order)."""
    ids = np.flatnonzero(valid)
    bkeys = np.empty((keys.shape[0], len(ids)), dtype=np.uint64)
    bpos = np.empty((keys.shape[0], len(ids)), dtype=np.uint32 if len(valid) < 2**32 else np.int64)
    for b in range(keys.shape[0]):  # a band at a time: temporaries of one row, not of the whole matrix
        row = keys[b, ids]
        order = np.argsort(row, kind="stable")
        bkeys[b] = row[order]
        bpos[b] = ids[order]
    return {"bkeys": bkeys, "bpos": bpos}


def _read_rows(path: Path, positions: I64) -> npt.NDArray[Any]:
    """Rows of a `.npy` file read one by one. Not through a memory map: a map faults in neighbouring pages
    too (64 KB or more a row), so scattered rows would bring most of the file into the resident set."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(f)
        start = f.tell()
        row = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
        fd = f.fileno()
        data = b"".join([os.pread(fd, row, start + p * row) for p in positions.tolist()])
    return np.frombuffer(data, dtype=dtype).reshape(len(positions), *shape[1:])


def _map(part: Path, key: str) -> npt.NDArray[Any]:
    arr: npt.NDArray[Any] = np.load(part / f"{key}.npy", mmap_mode="r")
    return arr


class CollectedShards:
    """The collected arrays of every shard, addressed by global document number (shard, then position)."""

    def __init__(self, parts: list[Path]) -> None:
        self.parts = parts
        sizes = [_map(p, "sig").shape[0] for p in parts]
        self.offsets: I64 = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        self.width = _map(parts[0], "sig").shape[1] if parts else 0

    @property
    def size(self) -> int:
        """Documents in the corpus."""
        return int(self.offsets[-1])

    def partitions(self, bands: int, budget: int | None = None) -> Iterator[tuple[U64, I64]]:
        """`(keys, global ids)` of each band, in key ranges of about `budget` entries over all shards."""
        budget = budget or PARTITION_ENTRIES
        counts = np.array([_map(p, "bkeys").shape[1] for p in self.parts], dtype=np.int64)
        n_ranges = max(1, -(-int(counts.sum()) // budget))
        bounds = np.array([(r << 64) // n_ranges for r in range(1, n_ranges)], dtype=np.uint64)
        for b in range(bands):
            cuts = np.zeros((len(self.parts), n_ranges + 1), dtype=np.int64)
            cuts[:, -1] = counts
            if n_ranges > 1:
                for s, part in enumerate(self.parts):
                    cuts[s, 1:-1] = np.searchsorted(_map(part, "bkeys")[b], bounds)
            for r in range(n_ranges):
                keys: list[U64] = []
                ids: list[I64] = []
                for s in np.flatnonzero(cuts[:, r + 1] > cuts[:, r]).tolist():
                    lo, hi = cuts[s, r], cuts[s, r + 1]
                    keys.append(np.array(_map(self.parts[s], "bkeys")[b, lo:hi]))
                    ids.append(_map(self.parts[s], "bpos")[b, lo:hi].astype(np.int64) + self.offsets[s])
                if keys:
                    # shard slices in shard order: among equal keys, ids stay ascending
                    yield np.concatenate(keys), np.concatenate(ids)

    def gather(self, key: str, ids: I64) -> npt.NDArray[Any]:
        """Rows of array `key` for global document numbers `ids`, in the order asked."""
        shard = np.searchsorted(self.offsets, ids, side="right") - 1
        order = np.argsort(ids, kind="stable")  # by shard, then by position: reads move forward in each file
        edges = np.searchsorted(shard[order], np.arange(len(self.parts) + 1))
        out: npt.NDArray[Any] | None = None
        for s in np.flatnonzero(edges[1:] > edges[:-1]).tolist():
            take = order[edges[s] : edges[s + 1]]
            rows = _read_rows(self.parts[s] / f"{key}.npy", ids[take] - self.offsets[s])
            if out is None:
                out = np.empty((len(ids), *rows.shape[1:]), dtype=rows.dtype)
            out[take] = rows
        if out is None:
            width = (self.width,) if key == "sig" else ()
            out = np.empty((0, *width), dtype=np.uint16 if key == "sig" else np.int64)
        return out

    def rows(self, ids: I64) -> npt.NDArray[np.uint16]:
        """Signatures of `ids`."""
        out: npt.NDArray[np.uint16] = self.gather("sig", ids)
        return out

    def lengths(self, ids: I64) -> I64:
        """Text lengths of `ids`."""
        out: I64 = self.gather("length", ids).astype(np.int64)
        return out

    def split(self, ids: I64) -> list[I64]:
        """Ascending global document numbers as positions within each shard."""
        cuts = np.searchsorted(ids, self.offsets)
        return [(ids[cuts[s] : cuts[s + 1]] - self.offsets[s]).astype(np.int64) for s in range(len(self.parts))]
