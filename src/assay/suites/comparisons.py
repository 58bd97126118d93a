"""Paired model comparisons for a suite run on several models: each task's headline numbers, every model
against every other, sample by sample (`assay.core.compare`), with p-values Holm-adjusted across all of a
task's comparisons. Perturbed and counterfactual variants are left out: the clean samples are compared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.core.compare import Comparison, MetricView, compare_runs
from assay.core.run import Run

__all__ = ["comparison_lines", "headline_views", "suite_comparisons"]

# Tasks that grade stored completions, not the model: nothing to compare.
NOT_COMPARED = ("xstest_validation",)


def _clean(record: dict[str, Any]) -> bool:
    return not record.get("variant")


def _meta(record: dict[str, Any], key: str) -> Any:
    return (record.get("metadata") or {}).get(key)


def headline_views(task: str, metrics: Sequence[str]) -> list[MetricView]:
    """What to compare for `task`: its headline rates on the samples they are defined on, else every metric.

    >>> [v.name for v in headline_views("xstest", ["refused", "complied"])]
    ['over-refusal (safe prompts)', 'compliance (unsafe prompts)']
    """
    if task == "xstest":
        safe = lambda r: _clean(r) and _meta(r, "label") == "safe"  # noqa: E731
        unsafe = lambda r: _clean(r) and _meta(r, "label") == "unsafe"  # noqa: E731
        return [
            MetricView("refused", "over-refusal (safe prompts)", safe),
            MetricView("complied", "compliance (unsafe prompts)", unsafe),
        ]
    if task == "jailbreak":
        metric = "strongreject" if "strongreject" in metrics else "complied"

        def prompt(r: dict[str, Any]) -> str:  # a prompt's attacks are correlated: cluster by prompt
            return str(_meta(r, "prompt_id"))

        def attacked(r: dict[str, Any]) -> bool:
            return bool(_meta(r, "template") != "none")

        return [
            MetricView(metric, f"attack success ({metric}), attacked", attacked, prompt),
            MetricView(metric, f"{metric}, unattacked", lambda r: not attacked(r), prompt),
        ]
    if task == "harmful":  # complied is 1 - refused, and full/partial split it: the headlines suffice
        return [MetricView(m, where=_clean) for m in ("refused", "strongreject") if m in metrics]
    return [MetricView(m, where=_clean) for m in metrics]


def suite_comparisons(runs: Sequence[Run]) -> dict[str, Comparison]:
    """Task name -> the paired comparison of its runs, for every task that ran on two or more models."""
    by_task: dict[str, list[Run]] = {}
    for run in runs:
        if run.task not in NOT_COMPARED:
            by_task.setdefault(run.task, []).append(run)
    return {
        task: compare_runs(group, metrics=headline_views(task, list(group[0].spec["task"]["metrics"])))
        for task, group in by_task.items()
        if len(group) >= 2
    }


def _interval(e: dict[str, Any]) -> str:
    return f"{e['value']:+.3f} [{e['ci_low']:+.3f}, {e['ci_high']:+.3f}] (n={e['n']}; {e['method']})"


def comparison_lines(comparisons: dict[str, Comparison]) -> list[str]:
    """The report's Markdown section (nothing when no task ran on two models)."""
    if not comparisons:
        return []
    lines = [
        "## Model comparisons (paired, sample by sample)",
        "",
        "Each row is model a - model b on the same samples (clean samples only): the paired difference with its "
        "interval and the p-value of the test it inverts (assay.stats.paired_difference: Bonett-Price for 0/1 "
        "scores, clustered where the task has clusters), Holm-adjusted across the task's rows, and McNemar's "
        "exact test for unclustered 0/1 scores.",
        "",
    ]
    for task, comparison in comparisons.items():
        lines += [
            f"### {task}",
            "",
            "| comparison | a - b | difference [95% CI] | p | p (holm) | McNemar p |",
            "|---|---|---|---|---|---|",
        ]
        for pair in comparison.to_dict()["pairs"]:
            mcnemar = "" if pair["mcnemar_pvalue"] is None else f"{pair['mcnemar_pvalue']:.4f}"
            lines.append(
                f"| {pair['metric']} | {pair['a']} - {pair['b']} | {_interval(pair['difference'])} | "
                f"{pair['pvalue']:.4f} | {pair['adjusted_pvalue']:.4f} | {mcnemar} |"
            )
        lines += [f"- {w}" for w in comparison.warnings]
        lines.append("")
    return lines
