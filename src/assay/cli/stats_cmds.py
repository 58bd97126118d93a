"""`assay compare` and `assay plan`: paired comparison of runs, and power planning."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.errors import ConfigError


def compare(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="two or more run directories of the same task, or suite manifests (.json)")
    ],
    metric: Annotated[list[str] | None, typer.Option("--metric", help="metrics to compare (default: all)")] = None,
    adjust: Annotated[str, typer.Option(help="p-value adjustment: holm, bonferroni, bh, by")] = "holm",
    alpha: Annotated[float, typer.Option(help="significance level for grouping")] = 0.05,
    format: Annotated[str, typer.Option("--format", help="table, markdown, latex, json")] = "table",
    contamination: Annotated[
        Path | None, typer.Option(help="with one run: its contaminated samples (a contamination report) vs the rest")
    ] = None,
) -> None:
    """Paired differences between runs, sample by sample, with multiplicity-adjusted p-values."""
    import warnings

    if contamination is not None:
        _compare_contaminated(run_dirs, contamination, metric, format)
        return
    from assay.stats.multiplicity import ADJUST_METHODS

    if adjust not in ADJUST_METHODS:
        raise ConfigError(f"unknown adjustment {adjust!r}", fix=f"use one of: {', '.join(ADJUST_METHODS)}")
    if any(p.is_file() for p in run_dirs):
        if metric:
            raise ConfigError("--metric is for run directories: suites compare each task's headline numbers")
        _compare_suites(run_dirs, format, adjust, alpha)
        return

    from assay.core.compare import compare_runs
    from assay.core.run import read_run
    from assay.report.compare_tables import RENDERERS

    if format not in RENDERERS:
        raise ConfigError(f"unknown format {format!r}", fix=f"use one of: {', '.join(RENDERERS)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warnings are printed in the comparison's footer
        result = compare_runs([read_run(p) for p in run_dirs], metrics=metric, adjust=adjust, alpha=alpha)
    typer.echo(RENDERERS[format](result))


def _compare_suites(manifests: list[Path], format: str, adjust: str, alpha: float) -> None:
    """Runs of the same suite made separately (one model each, say), compared as one suite on several models."""
    import json

    from assay.core.run import Run
    from assay.errors import RunDirError
    from assay.suites.comparisons import comparison_lines, suite_comparisons
    from assay.suites.manifest import SuiteManifest

    if not all(p.is_file() for p in manifests):
        raise ConfigError("compare takes run directories or suite manifests, not both", fix="pass one kind")
    if format not in ("table", "markdown", "json"):
        raise ConfigError(f"unknown format {format!r} for suites", fix="use table or markdown (the same), or json")
    if len({p.resolve() for p in manifests}) < len(manifests):
        raise ConfigError("a suite manifest is given twice", fix="give each suite once")
    loaded = [SuiteManifest.load(p) for p in manifests]
    for m in loaded:
        if m.status != "complete":
            raise RunDirError(f"suite {m.path} is {m.status}", fix=f"finish it first: assay run --resume {m.path}")
    first, notes = loaded[0], []
    for m in loaded[1:]:
        # these change the samples or what is scored: nothing would pair
        for what, ours, theirs in (("suite", first.suite, m.suite), ("--limit", first.limit, m.limit),
                                   ("-T", first.task_args, m.task_args)):  # fmt: skip
            if ours != theirs:
                raise ConfigError(
                    f"{first.path} and {m.path} differ in {what} ({ours!r} vs {theirs!r}): their samples do not pair",
                    fix="compare suites run the same way",
                )
        # these are legitimate contrasts (temperature 0 against 0.7), but the reader must know
        for what, ours, theirs in (("sampling", first.sampling, m.sampling), ("--judge", first.judge, m.judge)):
            if ours != theirs:
                notes.append(f"note: {first.path.name} and {m.path.name} differ in {what}: {ours!r} vs {theirs!r}")
    runs = [Run(path) for m in loaded for path in m.run_dirs]
    comparisons = suite_comparisons(runs, adjust, alpha)
    if format == "json":
        typer.echo(json.dumps({task: c.to_dict() for task, c in comparisons.items()}, indent=2, default=str))
    else:
        typer.echo("\n".join([*notes, *comparison_lines(comparisons)]) or "no task ran on two or more models")


def plan(
    delta: Annotated[float | None, typer.Option(help="difference to detect, e.g. 0.03")] = None,
    n: Annotated[
        int | None, typer.Option("--n", help="questions available: report the smallest detectable effect")
    ] = None,
    baseline: Annotated[float | None, typer.Option(help="baseline accuracy of 0/1 scores")] = None,
    sd: Annotated[float | None, typer.Option(help="per-question score SD")] = None,
    paired_rho: Annotated[float | None, typer.Option(help="correlation of the two models' scores")] = None,
    design_effect: Annotated[
        float | None, typer.Option(help="variance inflation from clustering (default 1, or read from runs)")
    ] = None,
    alpha: Annotated[float, typer.Option(help="two-sided significance level")] = 0.05,
    power: Annotated[float, typer.Option(help="probability of detecting the effect")] = 0.8,
    from_run: Annotated[
        list[Path] | None, typer.Option("--from-run", help="read variance etc. from runs (1 or 2)")
    ] = None,
    metric: Annotated[str | None, typer.Option(help="metric to plan for (with --from-run)")] = None,
) -> None:
    """How many questions a comparison needs, or the smallest effect a given number can detect."""
    from assay.stats import minimum_detectable_effect, sample_size

    if (delta is None) == (n is None):
        raise ConfigError("give exactly one of --delta (to get n) or --n (to get the detectable effect)")
    kwargs: dict[str, float | None] = {}
    source = ""
    if from_run:
        from assay.core.plan import inputs_from_runs
        from assay.core.run import read_run

        inputs = inputs_from_runs([read_run(p) for p in from_run], metric)
        design_effect = inputs.design_effect if design_effect is None else design_effect
        if inputs.sd_diff is not None:
            kwargs["sd_diff"] = inputs.sd_diff
        else:
            kwargs["sd"] = inputs.sd
            kwargs["paired_rho"] = paired_rho
        source = (
            f"from {len(from_run)} run(s), metric {inputs.metric}, {inputs.n} samples: sd={inputs.sd:.4f}"
            + (f", sd of difference={inputs.sd_diff:.4f}" if inputs.sd_diff is not None else "")
            + (f", correlation={inputs.correlation:.3f}" if inputs.correlation is not None else "")
            + (f", {inputs.n_clusters} clusters" if inputs.n_clusters else "")
            + f", design effect={design_effect:.3f}"
        )
    else:
        if (baseline is None) == (sd is None):
            raise ConfigError("give exactly one of --baseline (accuracy) or --sd, or plan --from-run RUN_DIR")
        kwargs = {"p": baseline, "sd": sd, "paired_rho": paired_rho}
    design_effect = 1.0 if design_effect is None else design_effect
    try:
        if delta is not None:
            answer = sample_size(delta, alpha=alpha, power=power, design_effect=design_effect, **kwargs)
            typer.echo(f"questions needed to detect a difference of {delta:g}: {answer}")
        else:
            assert n is not None
            mde = minimum_detectable_effect(n, alpha=alpha, power=power, design_effect=design_effect, **kwargs)
            typer.echo(f"smallest difference {n} questions detect: {mde:.4f}")
    except ValueError as exc:
        raise ConfigError(str(exc), where="assay plan") from exc
    typer.echo(f"(alpha={alpha}, power={power}, two-sided, normal approximation; Miller 2024)")
    if source:
        typer.echo(source)


def _compare_contaminated(run_dirs: list[Path], report: Path, metric: list[str] | None, format: str) -> None:
    import json

    from assay.core.compare import compare_subsets
    from assay.core.run import read_run
    from assay.data.contamination import load_contamination_report
    from assay.report.compare_tables import subsets_text

    if len(run_dirs) != 1:
        raise ConfigError("--contamination compares within one run", fix="pass exactly one run directory")
    run = read_run(run_dirs[0])
    flagged = load_contamination_report(report).get(run.task, set())
    result = compare_subsets(run, set(flagged), metrics=metric)
    typer.echo(json.dumps(result.to_dict(), indent=2) if format == "json" else subsets_text(result))
