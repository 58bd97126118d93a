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


def show(run_dir: Annotated[Path, typer.Argument(help="a run directory")]) -> None:
    """Print a run's results: value ± CI, n and the interval method, per metric and group."""
    from assay.core.run import read_run

    typer.echo(read_run(run_dir).summary())


def export(
    run_dir: Annotated[Path, typer.Argument(help="a run directory")],
    format: Annotated[str, typer.Option("--format", help="parquet")] = "parquet",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="output file")] = None,
) -> None:
    """Write one row per sample record (Parquet) for DuckDB, pandas or Polars."""
    if format != "parquet":
        raise ConfigError(f"unknown export format {format!r}", fix="use --format parquet")
    from assay.core.export import export_parquet
    from assay.core.rundir import read_spec

    read_spec(run_dir)  # a clear error if this is not a run directory
    typer.echo(str(export_parquet(run_dir, output)))
