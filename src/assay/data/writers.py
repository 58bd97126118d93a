"""Writers: one output file per shard, JSONL (plain, gzip, zstd) or Parquet, written atomically.

A shard's file appears under its final name only when complete (write to `.tmp`, then rename), so a crash
never leaves a half-written output that looks finished. Output bytes are deterministic (gzip without a
timestamp) so that a resumed run, a clean run and a Ray run can be compared byte for byte.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from assay.data.document import Document
from assay.data.errors import DataPipelineError

Format = Literal["jsonl", "jsonl.gz", "jsonl.zst", "parquet"]
FORMATS: tuple[str, ...] = ("jsonl", "jsonl.gz", "jsonl.zst", "parquet")


class Writer(Protocol):
    """Writes the documents of one shard to one file and returns its path."""

    format: str

    def write(self, docs: Iterator[Document], path: Path) -> int:
        """Write `docs` to `path` atomically; return the number of documents written."""
        ...


def _dumps(doc: Document) -> bytes:
    return (json.dumps(doc.to_dict(), ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")


@dataclass
class JsonlWriter:
    """JSON lines, compressed by suffix: `jsonl`, `jsonl.gz` or `jsonl.zst`."""

    format: str = "jsonl.gz"
    level: int = 3

    def write(self, docs: Iterator[Document], path: Path) -> int:
        """Write `docs` to `path` through a temporary file."""
        tmp = path.with_name(path.name + ".tmp")
        n = 0
        try:
            with open(tmp, "wb") as raw:
                out = self._wrap(raw)
                try:
                    for doc in docs:
                        out.write(_dumps(doc))
                        n += 1
                finally:
                    if out is not raw:
                        out.close()
        except BaseException:
            tmp.unlink(missing_ok=True)  # nothing half-written is left behind
            raise
        os.replace(tmp, path)
        return n

    def _wrap(self, raw: IO[bytes]) -> Any:
        if self.format == "jsonl.gz":
            # mtime=0 and no file name in the header: identical input gives identical bytes
            return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=self.level, mtime=0)
        if self.format == "jsonl.zst":
            import zstandard

            return zstandard.ZstdCompressor(level=self.level).stream_writer(raw, closefd=False)
        return raw


@dataclass
class ParquetWriter:
    """Parquet with columns `id`, `text`, `metadata` (a JSON string: metadata differs between documents)."""

    format: str = "parquet"
    batch_size: int = 2048

    def write(self, docs: Iterator[Document], path: Path) -> int:
        """Write `docs` in row groups of `batch_size` through a temporary file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("metadata", pa.string())])
        tmp = path.with_name(path.name + ".tmp")
        n = 0
        batch: dict[str, list[Any]] = {"id": [], "text": [], "metadata": []}
        try:
            with pq.ParquetWriter(str(tmp), schema) as w:
                for doc in docs:
                    batch["id"].append(doc.id)
                    batch["text"].append(doc.text)
                    batch["metadata"].append(json.dumps(doc.metadata, ensure_ascii=False))
                    n += 1
                    if len(batch["id"]) >= self.batch_size:
                        w.write_table(pa.table(batch, schema=schema))
                        batch = {"id": [], "text": [], "metadata": []}
                if batch["id"] or n == 0:
                    w.write_table(pa.table(batch, schema=schema))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
        return n


def make_writer(fmt: str) -> Writer:
    """The writer for an output format name."""
    if fmt == "parquet":
        return ParquetWriter()
    if fmt in ("jsonl", "jsonl.gz", "jsonl.zst"):
        return JsonlWriter(format=fmt)
    raise DataPipelineError(
        f"unknown output format {fmt!r}", where="output.format", fix=f"use one of: {', '.join(FORMATS)}"
    )
