"""Shards: the units of work an executor maps over, and how large input files are split into several.

A shard is a whole file, a byte range of an uncompressed JSONL file, a run of row groups of a Parquet file,
or a slice of a Hugging Face dataset. Splitting gives a corpus of one large file as much parallelism as a
corpus of many files, and keeps each shard's memory (a near-dedup signature matrix, say) bounded by
`shard_bytes` rather than by the file size.

The split rules make every line belong to exactly one sub-shard, whatever the offsets: a line belongs to
the sub-shard whose byte range `[start, stop)` contains the line's first byte. A sub-shard therefore begins
after the first newline at or after `start - 1` (at byte 0 for the first) and reads lines while they begin
before `stop`; the last line it reads may run past `stop`. A sub-shard may hold no line at all (one line
longer than `shard_bytes`); that is not an error. Compressed files (gzip, zstd) cannot be entered at a byte
offset, so they are always one shard.

Sub-shards are numbered in file order, then offset order, so shard indices, output part numbers and resume
markers are stable across runs of the same input and `shard_bytes`, and concatenating the output parts in
index order gives the same documents, in the same order, as an unsplit run.

Line numbers (for error messages, and for the `"<file stem>:<line>"` id of a record without an id) are
counted lazily: a sub-shard that starts mid-file counts the newlines before its start only the first time
it needs a line number, so a corpus whose records carry ids never pays for the count.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

DEFAULT_SHARD_BYTES = 128 * 2**20  # big enough that per-shard overhead is noise, small enough to spread work
_CHUNK = 16 * 2**20  # bytes per read when counting newlines


@dataclass(frozen=True)
class Shard:
    """One unit of work.

    `index` orders the shards of a run; `name` is the file stem (shared by the sub-shards of one file, so
    default ids stay `"<stem>:<line>"`). `start`/`stop` select part of the file: a byte range of a JSONL
    file or a range of row groups of a Parquet file; `stop=None` is the whole file. For a Hugging Face
    dataset, `index` is one of `count` contiguous slices.
    """

    index: int
    name: str
    path: str
    count: int = 1
    start: int = 0
    stop: int | None = None

    @property
    def whole(self) -> bool:
        """Whether the shard is a whole file (not a sub-shard)."""
        return self.start == 0 and self.stop is None


def splittable_jsonl(path: str) -> bool:
    """Uncompressed JSONL can be entered at a byte offset; gzip and zstd streams cannot."""
    return not path.endswith((".gz", ".zst", ".zstd"))


def byte_ranges(size: int, shard_bytes: int | None) -> list[tuple[int, int | None]]:
    """`[start, stop)` ranges of at most `shard_bytes` covering `size` bytes; `[(0, None)]` when not split."""
    if not shard_bytes or size <= shard_bytes:
        return [(0, None)]
    return [(s, min(s + shard_bytes, size)) for s in range(0, size, shard_bytes)]


def row_group_ranges(sizes: list[int], shard_bytes: int | None) -> list[tuple[int, int | None]]:
    """Consecutive row groups (by compressed byte size) grouped to about `shard_bytes` each."""
    if not shard_bytes or sum(sizes) <= shard_bytes or len(sizes) <= 1:
        return [(0, None)]
    out: list[tuple[int, int | None]] = []
    start, acc = 0, 0
    for i, size in enumerate(sizes):
        acc += size
        if acc >= shard_bytes:
            out.append((start, i + 1))
            start, acc = i + 1, 0
    if start < len(sizes):
        out.append((start, len(sizes)))
    return out


def parquet_row_group_sizes(path: str) -> list[int]:
    """Compressed size of each row group, from the footer (no data is read)."""
    import pyarrow.parquet as pq

    md = pq.ParquetFile(path).metadata
    return [
        sum(md.row_group(g).column(c).total_compressed_size for c in range(md.num_columns))
        for g in range(md.num_row_groups)
    ]


def file_shards(files: list[Path], stem: list[str], shard_bytes: int | None, parquet: tuple[str, ...]) -> list[Shard]:
    """The shards of a list of files, in file order then offset order."""
    shards: list[Shard] = []
    for path, name in zip(files, stem, strict=True):
        p = str(path)
        if p.endswith(parquet):
            try:
                ranges = row_group_ranges(parquet_row_group_sizes(p), shard_bytes)
            except Exception:  # an unreadable file is reported, with its name, when it is read
                ranges = [(0, None)]
        elif splittable_jsonl(p):
            ranges = byte_ranges(os.path.getsize(p), shard_bytes)
        else:
            ranges = [(0, None)]
        first = len(shards)
        shards.extend(Shard(first + k, name, p, start=a, stop=b) for k, (a, b) in enumerate(ranges))
    return shards


def seek_first_line(f: IO[bytes], start: int) -> int:
    """Position `f` at the first line that begins at or after byte `start`; return that offset."""
    if start <= 0:
        return 0
    # the line that begins exactly at `start` is ours: step back one byte, so a newline just before
    # `start` is consumed and leaves us on it, and a line straddling `start` is skipped to its end
    f.seek(start - 1)
    f.readline()
    return f.tell()


def count_newlines(path: str, end: int) -> int:
    """Newlines in the first `end` bytes of a file: the number of lines before offset `end`."""
    n = 0
    with open(path, "rb") as f:
        left = end
        while left > 0:
            chunk = f.read(min(_CHUNK, left))
            if not chunk:
                break
            n += chunk.count(b"\n")
            left -= len(chunk)
    return n


class LineNumbers:
    """1-based file line numbers for the lines of a shard, counting the lines before it only when asked."""

    def __init__(self, shard: Shard, offset: int) -> None:
        self._path = shard.path
        self._offset = offset
        self._base: int | None = 0 if offset == 0 else None

    def line(self, k: int) -> int:
        """The file line number of the shard's `k`-th line (1-based)."""
        if self._base is None:
            self._base = count_newlines(self._path, self._offset)
        return self._base + k
