"""Readers: JSONL (plain, gzip, zstd), Parquet, Hugging Face datasets, and directories or globs of shards.

Every reader streams one shard at a time, so memory stays bounded by a shard's read buffer and a Parquet
batch, whatever the corpus size. Large uncompressed JSONL files are split into byte ranges and large Parquet
files into runs of row groups (`shard_bytes`; see `assay.data.shards`); gzip and zstd files stay whole,
as a compressed stream cannot be entered mid-way. A bad record either raises a `DataPipelineError` naming
the file and line, or, with `on_error="skip"`, is skipped and counted under `skipped:<reason>` in the
reader's statistics.
"""

from __future__ import annotations

import glob
import gzip
import io
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from assay.data.document import Document
from assay.data.errors import DataPipelineError
from assay.data.shards import DEFAULT_SHARD_BYTES, LineNumbers, file_shards, seek_first_line
from assay.data.shards import Shard as Shard  # re-exported: readers and shards are used together
from assay.data.stats import StepStats

OnError = Literal["raise", "skip"]
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz", ".jsonl.zst", ".jsonl.zstd")
PARQUET_SUFFIXES = (".parquet",)


class Reader(Protocol):
    """Splits an input into shards and streams the documents of one shard."""

    def shards(self) -> list[Shard]:
        """The shards of the input, in a stable order."""
        ...

    def read(self, shard: Shard, stats: StepStats) -> Iterator[Document]:
        """Stream the documents of `shard`, counting skips in `stats`."""
        ...


def expand_paths(spec: str | Path | Sequence[str | Path]) -> list[Path]:
    """Files named by paths, directories (searched recursively for JSONL/Parquet files) and globs, sorted."""
    items = [spec] if isinstance(spec, str | Path) else list(spec)
    found: list[Path] = []
    for item in items:
        s = str(item)
        p = Path(s)
        if p.is_dir():
            found.extend(f for f in sorted(p.rglob("*")) if f.is_file() and _known(f) and "_assay" not in f.parts)
        elif any(ch in s for ch in "*?["):
            found.extend(Path(f) for f in sorted(glob.glob(s, recursive=True)) if Path(f).is_file())
        elif p.is_file():
            found.append(p)
        else:
            raise DataPipelineError(
                "input path does not exist", where=s, fix="pass an existing file, a directory or a glob"
            )
    if not found:
        raise DataPipelineError(
            "no input files found",
            where=", ".join(str(i) for i in items),
            fix=f"a directory is searched for files ending in {', '.join(JSONL_SUFFIXES + PARQUET_SUFFIXES)}",
        )
    return found


def _known(p: Path) -> bool:
    # an assay output directory can be read as input: skip its statistics and report files
    return p.name.endswith(JSONL_SUFFIXES + PARQUET_SUFFIXES) and p.name not in ("stats.json", "contamination.json")


def _stem(p: Path) -> str:
    name = p.name
    for suf in sorted(JSONL_SUFFIXES + PARQUET_SUFFIXES, key=len, reverse=True):
        if name.endswith(suf):
            return name[: -len(suf)]
    return p.stem


def open_text_lines(path: str) -> Any:
    """Open a (possibly gzip- or zstd-compressed) file for binary line iteration."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith((".zst", ".zstd")):
        import zstandard

        raw = open(path, "rb")  # noqa: SIM115 - closed by the stream reader (closefd default)
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True))
    return open(path, "rb")


@dataclass
class FileReader:
    """JSONL and Parquet files, directories or globs of them; a shard per file, or per `shard_bytes` of one.

    An uncompressed JSONL file larger than `shard_bytes` becomes byte-range sub-shards and a larger Parquet
    file runs of row groups, so one big file is processed in parallel; compressed JSONL (gzip, zstd) cannot
    be split and is always one shard. `shard_bytes=None` never splits.

    >>> reader = FileReader("corpus/*.jsonl.gz")  # doctest: +SKIP
    """

    paths: str | Path | Sequence[str | Path]
    text_key: str = "text"
    id_key: str | None = "id"
    on_error: OnError = "raise"
    shard_bytes: int | None = DEFAULT_SHARD_BYTES
    _files: list[Path] = field(default_factory=list, init=False, repr=False)

    def shards(self) -> list[Shard]:
        """The shards of the input: sorted path order, then offset order within a split file."""
        if not self._files:
            self._files = expand_paths(self.paths)
        if self.shard_bytes is not None and self.shard_bytes < 1:
            raise DataPipelineError(
                f"shard_bytes must be positive, got {self.shard_bytes}",
                where="input.shard_bytes",
                fix="leave it out (128 MiB), or set it to null to never split a file",
            )
        return file_shards(self._files, [_stem(p) for p in self._files], self.shard_bytes, PARQUET_SUFFIXES)

    def read(self, shard: Shard, stats: StepStats) -> Iterator[Document]:
        """Stream the documents of one file (format chosen by its suffix)."""
        if shard.path.endswith(PARQUET_SUFFIXES):
            return read_parquet(shard, stats, self.text_key, self.id_key, self.on_error)
        return read_jsonl(shard, stats, self.text_key, self.id_key, self.on_error)


def _fail(on_error: OnError, what: str, where: str, stats: StepStats, reason: str, fix: str | None = None) -> None:
    if on_error == "skip":
        stats.count(f"skipped:{reason}")
        return
    raise DataPipelineError(
        what, where=where, fix=fix or "fix the input, or set `on_error: skip` to skip and count such records"
    )


def _record_to_doc(rec: Any, text_key: str, id_key: str | None, default_id: str) -> Document | str:
    """A Document, or the reason the record is unusable."""
    if not isinstance(rec, dict):
        return "not_an_object"
    text = rec.get(text_key)
    if text is None:
        return "missing_text"
    if not isinstance(text, str):
        return "text_not_a_string"
    doc_id = rec.get(id_key) if id_key else None
    meta = {k: v for k, v in rec.items() if k not in (text_key, id_key, "metadata")}
    extra = rec.get("metadata")
    if isinstance(extra, str) and extra.startswith("{"):  # Parquet output stores metadata as a JSON string
        extra = json.loads(extra)
    if isinstance(extra, dict):
        meta.update(extra)
    return Document(id=default_id if doc_id is None else str(doc_id), text=text, metadata=meta)


_REASONS = {
    "not_an_object": "line is not a JSON object",
    "missing_text": "record has no text field {key!r}",
    "text_not_a_string": "text field {key!r} is not a string",
}


def read_jsonl(
    shard: Shard,
    stats: StepStats,
    text_key: str = "text",
    id_key: str | None = "id",
    on_error: OnError = "raise",
    allow_empty: bool = False,
) -> Iterator[Document]:
    """Stream a JSONL file, or the lines of a byte-range sub-shard of one; blank lines are ignored; errors
    name the file and its 1-based line (counted lazily for a sub-shard, see `assay.data.shards`)."""
    k = 0  # lines of this shard read so far
    seen = 0
    lines: LineNumbers | None = None
    try:
        with open_text_lines(shard.path) as f:
            pos = seek_first_line(f, shard.start)
            lines = LineNumbers(shard, pos)
            stop = shard.stop
            for raw in f:
                if stop is not None:
                    if pos >= stop:  # this line begins in the next sub-shard
                        break
                    pos += len(raw)
                k += 1
                if not raw.strip():
                    continue
                seen += 1
                try:
                    rec = json.loads(raw)
                except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
                    _fail(on_error, f"invalid JSON: {e}", f"{shard.path}, line {lines.line(k)}", stats, "invalid_json")
                    continue
                if isinstance(rec, dict) and id_key and rec.get(id_key) is not None:
                    default_id = ""  # not used: the record has its own id, so no line number is needed
                else:
                    default_id = f"{shard.name}:{lines.line(k)}"
                doc = _record_to_doc(rec, text_key, id_key, default_id)
                if isinstance(doc, str):
                    where = f"{shard.path}, line {lines.line(k)}"
                    _fail(on_error, _REASONS[doc].format(key=text_key), where, stats, doc)
                    continue
                stats.docs_in += 1
                stats.docs_out += 1
                yield doc
    except (OSError, EOFError, zlib.error) as e:
        _corrupt(shard.path, lines.line(k) if lines else 0, e, on_error, stats)
        return
    except Exception as e:
        if type(e).__name__ == "ZstdError":
            _corrupt(shard.path, lines.line(k) if lines else 0, e, on_error, stats)
            return
        raise
    # a sub-shard may hold no line (one line longer than shard_bytes): only a whole file can be empty
    if seen == 0 and not allow_empty and shard.whole:
        _fail(on_error, "input shard is empty", shard.path, stats, "empty_shard", "remove the empty file, or skip it")


def _corrupt(path: str, line_no: int, e: BaseException, on_error: OnError, stats: StepStats) -> None:
    _fail(
        on_error,
        f"corrupt or truncated compressed file ({type(e).__name__}: {e})",
        f"{path}, after line {line_no}",
        stats,
        "corrupt_file",
        "re-create the file; with `on_error: skip` the records before the damage are kept",
    )


def read_parquet(
    shard: Shard, stats: StepStats, text_key: str = "text", id_key: str | None = "id", on_error: OnError = "raise"
) -> Iterator[Document]:
    """Stream a Parquet file, or a run of its row groups, in record batches; errors name the file and its
    1-based row."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(shard.path)
    except Exception as e:
        _fail(on_error, f"unreadable Parquet file: {e}", shard.path, stats, "corrupt_file")
        return
    if text_key not in pf.schema_arrow.names:
        _fail(
            on_error,
            f"Parquet file has no text column {text_key!r} (columns: {', '.join(pf.schema_arrow.names)})",
            shard.path,
            stats,
            "missing_text",
            "set `text_key` to the column that holds the text",
        )
        return
    groups = None
    row = 0
    if not shard.whole:
        stop = pf.num_row_groups if shard.stop is None else shard.stop
        groups = list(range(shard.start, stop))
        # row numbers count from the start of the file: the footer gives the rows of earlier groups
        row = sum(pf.metadata.row_group(g).num_rows for g in range(shard.start))
    for batch in pf.iter_batches(batch_size=2048, row_groups=groups):
        for rec in batch.to_pylist():
            row += 1
            doc = _record_to_doc(rec, text_key, id_key, f"{shard.name}:{row}")
            if isinstance(doc, str):
                _fail(on_error, _REASONS[doc].format(key=text_key), f"{shard.path}, row {row}", stats, doc)
                continue
            stats.docs_in += 1
            stats.docs_out += 1
            yield doc
    if row == 0 and shard.whole:
        _fail(on_error, "input shard is empty", shard.path, stats, "empty_shard", "remove the empty file, or skip it")


@dataclass
class HFReader:
    """A Hugging Face dataset through the real `datasets` loader, split into `num_shards` contiguous shards.

    `path` is a hub name or a builder such as `"json"` with `data_files`. Offline, a dataset that is not in
    the local cache raises a `DataPipelineError` that says so.
    """

    path: str
    name: str | None = None
    split: str = "train"
    data_files: str | list[str] | None = None
    text_key: str = "text"
    id_key: str | None = "id"
    num_shards: int = 1
    on_error: OnError = "raise"

    def shards(self) -> list[Shard]:
        """`num_shards` contiguous slices of the split."""
        return [
            Shard(index=i, name=f"hf-{i:05d}", path=self.path, count=self.num_shards) for i in range(self.num_shards)
        ]

    def read(self, shard: Shard, stats: StepStats) -> Iterator[Document]:
        """Stream one slice of the (memory-mapped) dataset."""
        ds = load_hf_dataset(self.path, self.name, self.split, self.data_files)
        if self.text_key not in ds.column_names:
            raise DataPipelineError(
                f"dataset has no text column {self.text_key!r} (columns: {', '.join(ds.column_names)})",
                where=f"hf:{self.path} split {self.split}",
                fix="set `text_key` to the column that holds the text",
            )
        part = ds.shard(num_shards=shard.count, index=shard.index, contiguous=True)
        offset = sum(len(ds) // shard.count + (1 if i < len(ds) % shard.count else 0) for i in range(shard.index))
        for i, rec in enumerate(part):
            doc = _record_to_doc(rec, self.text_key, self.id_key, f"{self.path}:{offset + i}")
            if isinstance(doc, str):
                where = f"hf:{self.path} split {self.split}, row {offset + i}"
                _fail(self.on_error, _REASONS[doc].format(key=self.text_key), where, stats, doc)
                continue
            stats.docs_in += 1
            stats.docs_out += 1
            yield doc


def load_hf_dataset(path: str, name: str | None, split: str, data_files: str | list[str] | None) -> Any:
    """`datasets.load_dataset`, with missing package and offline failures turned into clear errors."""
    try:
        import datasets
    except ImportError as e:
        raise DataPipelineError(
            "reading Hugging Face datasets needs the `datasets` package",
            where=f"hf:{path}",
            fix="pip install 'assay[datasets]'",
        ) from e
    try:
        return datasets.load_dataset(path, name, split=split, data_files=data_files)
    except Exception as e:
        offline = datasets.config.HF_HUB_OFFLINE or "offline" in str(e).lower() or "connect" in str(e).lower()
        raise DataPipelineError(
            f"could not load Hugging Face dataset {path!r}"
            + (" (offline, and it is not in the local cache)" if offline else "")
            + f": {type(e).__name__}: {e}",
            where=f"hf:{path}" + (f" config {name}" if name else "") + f" split {split}",
            fix="connect to the network once so the dataset is cached, or read local files with a file reader",
        ) from e
