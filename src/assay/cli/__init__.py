"""The `assay` command line: a thin face over the Python API.

Imports are lazy inside each command so `assay --help` starts fast.
"""

from __future__ import annotations

import sys

import typer

from assay.errors import AssayError

app = typer.Typer(
    name="assay",
    help="The empirical science of language models: evaluations with honest uncertainty.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from assay.cli import data, inspect_cmds, run_cmd, stats_cmds

    app.command("run")(run_cmd.run)
    app.command("show")(inspect_cmds.show)
    app.command("export")(inspect_cmds.export)
    app.command("list")(inspect_cmds.list_cmd)
    app.command("compare")(stats_cmds.compare)
    app.command("plan")(stats_cmds.plan)
    app.add_typer(data.data_app, name="data", help="Corpus pipelines: dedup, filters, PII, contamination.")


_register()


def main() -> None:
    try:
        app()
    except AssayError as exc:
        typer.secho(f"error: {exc.message}", fg="red", err=True)
        sys.exit(2)
