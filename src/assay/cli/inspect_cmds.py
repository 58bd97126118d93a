"""`assay list`, `assay show`, `assay export`: look at tasks and run directories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.errors import ConfigError


def list_cmd(what: Annotated[str, typer.Argument(help="what to list: tasks")] = "tasks") -> None:
    """List the built-in and discovered tasks."""
    if what != "tasks":
        raise ConfigError(f"cannot list {what!r}", fix="use `assay list tasks`")
    from assay.core.discovery import list_tasks

    for name, doc in list_tasks().items():
        typer.echo(f"{name:<24} {doc}")


def show(run_dir: Annotated[Path, typer.Argument(help="a run directory, or a suite's manifest (.json)")]) -> None:
    """Print a run's results: value ± CI, n and the interval method, per metric and group."""
    from assay.core.run import read_run

    if run_dir.is_file():  # a suite: each of its runs, then where it stands
        from assay.suites.manifest import SuiteManifest

        manifest = SuiteManifest.load(run_dir)
        for path in manifest.run_dirs:
            typer.echo(read_run(path).summary())
        report = f"   report: {manifest.path.parent / manifest.report}" if manifest.report else ""
        resume = "" if manifest.status == "complete" else f"   finish with: assay run --resume {run_dir}"
        typer.echo(f"suite {manifest.suite}: {manifest.status}{report}{resume}")
        return
    typer.echo(read_run(run_dir).summary())


def export(
    run_dir: Annotated[Path, typer.Argument(help="a run directory, or a suite's manifest (.json)")],
    format: Annotated[str, typer.Option("--format", help="parquet")] = "parquet",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="output file (one run only)")] = None,
) -> None:
    """Write one row per sample record (Parquet) for DuckDB, pandas or Polars; a suite: one file per run."""
    if format != "parquet":
        raise ConfigError(f"unknown export format {format!r}", fix="use --format parquet")
    from assay.core.export import export_parquet
    from assay.core.rundir import read_spec

    if run_dir.is_file():  # a suite: samples.parquet in each run directory, one table together
        from assay.suites.manifest import SuiteManifest

        if output is not None:
            raise ConfigError("--output is for one run; a suite writes samples.parquet in each run directory")
        manifest = SuiteManifest.load(run_dir)
        for path in manifest.run_dirs:
            typer.echo(str(export_parquet(path)))
        return
    read_spec(run_dir)  # a clear error if this is not a run directory
    typer.echo(str(export_parquet(run_dir, output)))
