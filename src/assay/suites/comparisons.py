"""Paired model comparisons for a suite run on several models, every model against every other, sample by
sample, with p-values adjusted for multiplicity (Holm's by default) within each of a task's two tables:

- each task's headline numbers on its clean samples (`assay.core.compare`);
- for perturbed tasks, each model's drop under each perturbation against the other's (clean minus perturbed,
  per sample, then paired across models: a difference in differences), which says whether one model is more
  robust than the other, not only more accurate."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from assay.core.compare import Comparison, MetricView, compare_runs, labels_for
from assay.core.results import per_sample_scores, usable_clusters
from assay.core.run import Run

__all__ = [
    "DropComparison",
    "TaskComparison",
    "comparison_lines",
    "drop_comparison",
    "headline_views",
    "suite_comparisons",
]

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


@dataclass
class DropComparison:
    """Per perturbation and pair of models: a's drop (clean - perturbed, per sample) minus b's, paired by sample."""

    task: str
    rows: list[dict[str, Any]]  # metric, variant, a, b, n, difference (Estimate dict), pvalue, adjusted_pvalue
    adjust: str = "holm"

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "rows": self.rows, "adjust": self.adjust}


def drop_comparison(runs: Sequence[Run], metrics: Sequence[str], adjust: str = "holm") -> DropComparison | None:
    """The difference in drops between every two runs under each perturbation they share (None without any)."""
    from assay.stats import adjust_pvalues, drop_difference

    records = [list(run.records()) for run in runs]
    variants = sorted({r.get("variant", "") for r in records[0]} - {""})
    if not variants:
        return None
    labels = labels_for(list(runs))
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        clean = [_by_sample(recs, metric, "") for recs in records]
        for variant in variants:
            perturbed = [_by_sample(recs, metric, variant) for recs in records]
            for i, j in combinations(range(len(runs)), 2):
                ids = sorted(set(clean[i]) & set(clean[j]) & set(perturbed[i]) & set(perturbed[j]))
                if len(ids) < 2:
                    continue
                scores = ([table[k][0] for k in ids] for table in (clean[i], perturbed[i], clean[j], perturbed[j]))
                clusters = usable_clusters([clean[i][k][1] for k in ids])
                result = drop_difference(*scores, clusters=clusters)
                rows.append(
                    {"metric": metric, "variant": variant, "a": labels[i], "b": labels[j], "n": len(ids),
                     "difference": result.difference.to_dict(), "pvalue": result.pvalue}
                )  # fmt: skip
    for row, adjusted in zip(rows, adjust_pvalues([r["pvalue"] for r in rows], method=adjust), strict=True):
        row["adjusted_pvalue"] = float(adjusted)
    return DropComparison(runs[0].task, rows, adjust) if rows else None


def _by_sample(records: list[dict[str, Any]], metric: str, variant: str) -> dict[str, tuple[float, str | None]]:
    """Sample id -> (its score averaged over epochs, its cluster) for one variant."""
    ids, values, clusters = per_sample_scores(records, metric, variant)
    return {i: (sum(v) / len(v), c) for i, v, c in zip(ids, values, clusters, strict=True)}


@dataclass
class TaskComparison:
    """A task's paired model comparisons: headline numbers, and drops under perturbation where it has any."""

    models: Comparison
    drops: DropComparison | None

    def to_dict(self) -> dict[str, Any]:
        return {"models": self.models.to_dict(), "drops": self.drops.to_dict() if self.drops else None}


def suite_comparisons(runs: Sequence[Run], adjust: str = "holm", alpha: float = 0.05) -> dict[str, TaskComparison]:
    """Task name -> the paired comparisons of its runs, for every task that ran on two or more models;
    p-values adjusted by `adjust` (holm, bonferroni, bh, by) within each table."""
    by_task: dict[str, list[Run]] = {}
    for run in runs:
        if run.task not in NOT_COMPARED:
            by_task.setdefault(run.task, []).append(run)
    out = {}
    for task, group in by_task.items():
        if len(group) >= 2:
            metrics = list(group[0].spec["task"]["metrics"])
            # a suite's report must not fail for its comparisons: a headline with too few shared samples
            # (a small --limit, unparsed judge verdicts) is left out and said so
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # its notes are printed in the report
                views = headline_views(task, metrics)
                headlines = compare_runs(group, metrics=views, adjust=adjust, alpha=alpha, skip_sparse=True)
            out[task] = TaskComparison(headlines, drop_comparison(group, metrics, adjust))
    return out


def _interval(e: dict[str, Any]) -> str:
    return f"{e['value']:+.3f} [{e['ci_low']:+.3f}, {e['ci_high']:+.3f}] (n={e['n']}; {e['method']})"


def comparison_lines(comparisons: dict[str, TaskComparison]) -> list[str]:
    """The report's Markdown section (nothing when no task ran on two models)."""
    if not comparisons:
        return []
    lines = [
        "## Model comparisons (paired, sample by sample)",
        "",
        "Each row is model a - model b on the same samples (clean samples only): the paired difference with its "
        "interval and the p-value of the test it inverts (assay.stats.paired_difference: Bonett-Price for 0/1 "
        "scores, clustered where the task has clusters), adjusted for multiplicity, and McNemar's "
        "exact test for unclustered 0/1 scores. Under perturbations, each row is a's drop minus b's drop "
        "(clean - perturbed, per sample; positive: a loses more), paired by sample (t interval). The "
        "adjustment is made within each table.",
        "",
    ]
    for task, both in comparisons.items():
        comparison = both.models
        lines += [f"### {task}", ""]
        if comparison.pairs:
            lines += [
                f"| comparison | a - b | difference [95% CI] | p | p ({comparison.adjust}) | McNemar p |",
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
        if both.drops is not None:
            lines += [
                f"#### {task}: drop under each perturbation, a - b",
                "",
                f"| metric | perturbation | a - b | difference in drops [95% CI] | p | p ({both.drops.adjust}) |",
                "|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {r['metric']} | {r['variant']} | {r['a']} - {r['b']} | {_interval(r['difference'])} | "
                f"{r['pvalue']:.4f} | {r['adjusted_pvalue']:.4f} |"
                for r in both.drops.rows
            ]
            lines.append("")
    return lines
