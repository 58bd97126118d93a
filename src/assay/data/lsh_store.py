"""Near-dedup's collected arrays on disk, read back by the reduce in pieces of bounded size.

`collect` (in the workers) writes, per shard: `sig.npy` (signatures), `length.npy` (text lengths) and the
band keys as sorted runs (see `assay.data.runs`), `bkeys.npy` (bands x documents with words, each row
sorted) with `bpos.npy` (the shard position of each key). The reduce (in the driver) then never holds a
corpus-sized array:

- band keys are read one partition at a time: a band, cut into key ranges of about `PARTITION_ENTRIES`
  entries over the whole corpus, one slice per shard;
- signatures (for verification) and lengths (for `keep: longest`) are read row by row for the documents
  asked for, so the driver holds only those rows and no file handle stays open per shard;
- drop lists come back as global document numbers and are split per shard.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.data.lsh import I64, U64
from assay.data.runs import ShardRuns, load

PARTITION_ENTRIES = 1 << 21  # band keys per partition: ~40 bytes each while grouped, so ~80 MB at most


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


class CollectedShards(ShardRuns):
    """The collected arrays of every shard, addressed by global document number (shard, then position)."""

    def __init__(self, parts: list[Path]) -> None:
        super().__init__(parts, [load(p, "sig").shape[0] for p in parts])
        self.width = load(parts[0], "sig").shape[1] if parts else 0

    def partitions(self, bands: int, budget: int | None = None) -> Iterator[tuple[U64, I64]]:
        """`(keys, global ids)` of each band, in key ranges of about `budget` entries over all shards."""
        for b in range(bands):
            for slices in self.ranges("b", b, budget or PARTITION_ENTRIES):
                # shard slices in shard order: among equal keys, ids stay ascending
                yield self.take("bkeys", b, slices), self.ids("b", b, slices)

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
