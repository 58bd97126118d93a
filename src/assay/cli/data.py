"""`assay data ...`: run corpus pipelines, dedup and contamination shortcuts, and print run statistics.

User errors (`AssayError`) propagate to `assay.cli.main`, which prints them without a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

data_app = typer.Typer(
    help="Corpus pipelines: dedup, quality filters, PII, toxicity, contamination.", no_args_is_help=True
)


def _executor(kind: str, workers: int | None, address: str | None) -> Any:
    from assay.data.executor_local import LocalExecutor
    from assay.data.executor_ray import RayExecutor

    if kind == "ray":
        return RayExecutor(address=address)
    return LocalExecutor(workers=workers)


SHARD_BYTES_HELP = (
    "split uncompressed JSONL and Parquet files larger than this many bytes into sub-shards of about this size, "
    "for parallelism within a file (default 128 MiB; 0: one shard per file)"
)


def _shard_bytes(value: int | None) -> int | None:
    """The reader's `shard_bytes` for the CLI value: its default when not given, None (never split) for 0."""
    from assay.data.shards import DEFAULT_SHARD_BYTES

    return DEFAULT_SHARD_BYTES if value is None else value or None


def _print_stats(stats: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{stats.shards} shards ({stats.shards_skipped} already done), {stats.elapsed_s:.1f}s")
    for col in ("step", "docs in", "docs out", "MB in", "MB out", "dropped / counters"):
        table.add_column(col, justify="right" if col.startswith(("docs", "MB")) else "left", overflow="fold")
    for s in [stats.reader, *stats.steps]:
        notes = ", ".join(f"{k}={v}" for k, v in [*sorted(s.dropped.items()), *sorted(s.counters.items())])
        table.add_row(
            s.name, str(s.docs_in), str(s.docs_out), f"{s.bytes_in / 1e6:.2f}", f"{s.bytes_out / 1e6:.2f}", notes
        )
    Console(file=sys.stdout).print(table)


@data_app.command("run")
def run_cmd(
    pipeline: Annotated[Path, typer.Argument(help="pipeline YAML file")],
    workers: Annotated[int | None, typer.Option(help="local worker processes (overrides the file)")] = None,
    overwrite: Annotated[bool, typer.Option(help="replace an earlier run in the output directory")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Run a pipeline file; re-running after a crash skips the shards already finished."""
    from assay.data.config import load_pipeline
    from assay.data.executor_local import LocalExecutor

    pipe, executor = load_pipeline(pipeline)
    if workers is not None and isinstance(executor, LocalExecutor):
        executor = LocalExecutor(workers=workers)
    stats = pipe.run(executor, overwrite=overwrite)
    if not quiet:
        _print_stats(stats)


@data_app.command("dedup")
def dedup_cmd(
    corpus: Annotated[list[str], typer.Argument(help="input files, directories or globs")],
    output: Annotated[Path, typer.Option("--output", "-o", help="output directory")],
    exact: Annotated[bool, typer.Option(help="exact dedup on normalised text")] = True,
    near: Annotated[bool, typer.Option(help="MinHash near dedup")] = True,
    threshold: Annotated[float, typer.Option(help="estimated Jaccard to call two documents duplicates")] = 0.8,
    ngram: Annotated[int, typer.Option(help="words per shingle")] = 5,
    num_perm: Annotated[int, typer.Option(help="MinHash permutations")] = 256,
    bands: Annotated[int, typer.Option(help="LSH bands")] = 32,
    rows: Annotated[int, typer.Option(help="rows per LSH band")] = 8,
    keep: Annotated[str, typer.Option(help="which document of a cluster survives: first or longest")] = "first",
    fmt: Annotated[str, typer.Option("--format", help="jsonl, jsonl.gz, jsonl.zst or parquet")] = "jsonl.gz",
    text_key: Annotated[str, typer.Option(help="field holding the text")] = "text",
    skip_bad: Annotated[bool, typer.Option(help="skip and count bad records instead of failing")] = False,
    shard_bytes: Annotated[int | None, typer.Option(min=0, help=SHARD_BYTES_HELP)] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default: all cores)")] = None,
    executor: Annotated[str, typer.Option(help="local or ray")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (default: auto)")] = "auto",
    overwrite: Annotated[bool, typer.Option(help="replace an earlier run in the output directory")] = False,
) -> None:
    """Exact and near dedup of a corpus."""
    from assay.data.api import dedup

    stats = dedup(
        corpus,
        output,
        exact=exact,
        near=near,
        threshold=threshold,
        ngram=ngram,
        num_perm=num_perm,
        bands=bands,
        rows=rows,
        keep=keep,
        fmt=fmt,
        text_key=text_key,
        on_error="skip" if skip_bad else "raise",
        shard_bytes=_shard_bytes(shard_bytes),
        executor=_executor(executor, workers, ray_address),
        overwrite=overwrite,
    )
    _print_stats(stats)


def _resolve_tasks(names: list[str]) -> dict[str, Any]:
    from assay.data.config import task_samples

    return task_samples(names)


@data_app.command("contamination")
def contamination_cmd(
    corpus: Annotated[list[str], typer.Option("--corpus", help="corpus files, directories or globs")],
    tasks: Annotated[str, typer.Option(help="comma-separated assay task names, e.g. mmlu,truthfulqa_mc")],
    out: Annotated[Path, typer.Option("--out", "-o", help="report path (.json) or directory")] = Path(
        "contamination.json"
    ),
    preset: Annotated[str, typer.Option(help="gpt3 (13-gram words) or gpt4 (50-char substrings)")] = "gpt3",
    ngram: Annotated[int | None, typer.Option(help="n-gram length in words (gpt3 preset)")] = None,
    text_key: Annotated[str, typer.Option(help="field holding the text")] = "text",
    shard_bytes: Annotated[int | None, typer.Option(min=0, help=SHARD_BYTES_HELP)] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes (default: all cores)")] = None,
) -> None:
    """Scan a corpus for the samples of assay tasks; write a report for `assay run --exclude-samples`."""
    from assay.data.api import scan_contamination
    from assay.data.executor_local import LocalExecutor

    resolve: Callable[[list[str]], dict[str, Any]] = _resolve_tasks
    samples = resolve([t.strip() for t in tasks.split(",") if t.strip()])
    report = scan_contamination(
        corpus, samples, report=out, preset=preset, ngram=ngram, text_key=text_key,
        shard_bytes=_shard_bytes(shard_bytes), executor=LocalExecutor(workers=workers),
    )  # fmt: skip
    for name, info in report["tasks"].items():
        typer.echo(f"{name}: {info['n_contaminated']} of {info['n_samples']} samples contaminated")
    typer.echo(f"report: {out}")


@data_app.command("report")
def report_cmd(
    output: Annotated[Path, typer.Argument(help="output directory of a run (or its stats.json)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the raw JSON")] = False,
) -> None:
    """Print the per-step statistics of a finished run."""
    from assay.data.stats import load_stats

    stats = load_stats(output)
    if as_json:
        typer.echo(json.dumps(stats.to_dict(), indent=2))
    else:
        _print_stats(stats)
