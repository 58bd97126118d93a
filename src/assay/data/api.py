"""Notebook-friendly entry points: `dedup` and `scan_contamination` build and run a pipeline in one call."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assay.core.sample import Sample
from assay.data.contamination import REPORT_FILE, ContaminationScan
from assay.data.dedup import ExactDedup, NearDedup
from assay.data.pipeline import Executor, Pipeline
from assay.data.readers import FileReader, OnError, Reader
from assay.data.shards import DEFAULT_SHARD_BYTES
from assay.data.stats import RunStats
from assay.data.writers import make_writer


def _reader(
    corpus: str | Path | Sequence[str | Path] | Reader, text_key: str, on_error: OnError, shard_bytes: int | None
) -> Reader:
    if hasattr(corpus, "shards") and hasattr(corpus, "read"):
        return corpus
    return FileReader(corpus, text_key=text_key, on_error=on_error, shard_bytes=shard_bytes)


def dedup(
    corpus: str | Path | Sequence[str | Path] | Reader,
    output: str | Path,
    *,
    exact: bool = True,
    near: bool = True,
    threshold: float = 0.8,
    ngram: int = 5,
    num_perm: int = 256,
    bands: int = 32,
    rows: int = 8,
    keep: str = "first",
    fmt: str = "jsonl.gz",
    text_key: str = "text",
    on_error: OnError = "raise",
    shard_bytes: int | None = DEFAULT_SHARD_BYTES,
    executor: Executor | None = None,
    overwrite: bool = False,
) -> RunStats:
    """Exact and/or near dedup of a corpus into `output`; returns the run statistics. Uncompressed JSONL
    and Parquet files larger than `shard_bytes` are split into sub-shards (None: one shard per file).

    >>> stats = dedup("corpus/", "deduped/")  # doctest: +SKIP
    >>> stats.step("near_dedup").counters["duplicates"]  # doctest: +SKIP
    """
    steps: list[Any] = []
    if exact:
        steps.append(ExactDedup())
    if near:
        steps.append(NearDedup(ngram=ngram, num_perm=num_perm, bands=bands, rows=rows, threshold=threshold, keep=keep))
    pipe = Pipeline(_reader(corpus, text_key, on_error, shard_bytes), steps, output, writer=make_writer(fmt))
    return pipe.run(executor, overwrite=overwrite)


def scan_contamination(
    corpus: str | Path | Sequence[str | Path] | Reader,
    tasks: Mapping[str, list[Sample]],
    *,
    report: str | Path | None = None,
    preset: str = "gpt3",
    ngram: int | None = None,
    fields: tuple[str, ...] = ("input",),
    text_key: str = "text",
    on_error: OnError = "raise",
    shard_bytes: int | None = DEFAULT_SHARD_BYTES,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Scan a corpus for the samples of `tasks` (task name -> samples); return the report (and write it
    to `report`, a directory or a `.json` path, when given). `shard_bytes` as for `dedup`.

    >>> rep = scan_contamination("corpus/", {"mmlu": samples})  # doctest: +SKIP
    >>> rep["tasks"]["mmlu"]["n_contaminated"]  # doctest: +SKIP
    """
    import json

    step = ContaminationScan(tasks=dict(tasks), preset=preset, ngram=ngram, fields=fields)
    with tempfile.TemporaryDirectory(prefix="assay-contamination-") as work:
        Pipeline(_reader(corpus, text_key, on_error, shard_bytes), [step], None, work_dir=work).run(executor)
        data: dict[str, Any] = json.loads((Path(work) / REPORT_FILE).read_text())
    if report is not None:
        path = Path(report)
        if path.suffix != ".json":
            path.mkdir(parents=True, exist_ok=True)
            path = path / REPORT_FILE
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    return data
