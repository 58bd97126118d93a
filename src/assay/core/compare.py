"""Compare runs of one task sample by sample: paired differences, multiplicity control,
and groups of models that cannot be told apart.

Records pair by (sample id, epoch, variant). When a task has several epochs, or clusters,
the differences are clustered (by the task's cluster, else by sample), because records of
one sample are not independent. p-values are adjusted across every comparison shown
(Holm by default), and models whose adjusted p-value against each other is at least
alpha share a group letter.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from assay.core.run import Run
from assay.core.rundir import RecordKey, record_key
from assay.errors import RunDirError
from assay.stats import adjust_pvalues, mcnemar, paired_difference, unpaired_difference
from assay.stats.estimate import Estimate
from assay.stats.paired import PairedResult
from assay.stats.unpaired import UnpairedResult


@dataclass(frozen=True)
class MetricView:
    """A metric on the records `where` selects (all when None), shown as `label` (default: the metric),
    clustered by `cluster(record)` (default: the record's cluster, else its sample).

    >>> MetricView("refused", "over-refusal", lambda r: r["metadata"]["label"] == "safe").name
    'over-refusal'
    """

    metric: str
    label: str | None = None
    where: Callable[[dict[str, Any]], bool] | None = None
    cluster: Callable[[dict[str, Any]], str] | None = None

    @property
    def name(self) -> str:
        return self.label or self.metric


@dataclass
class PairComparison:
    metric: str
    a: str
    b: str
    n_pairs: int
    result: PairedResult
    mcnemar_pvalue: float | None
    adjusted_pvalue: float = float("nan")


@dataclass
class Comparison:
    task: str
    models: list[str]
    estimates: dict[str, dict[str, Estimate]]  # metric -> model label -> Estimate (over the paired samples)
    pairs: list[PairComparison]
    groups: dict[str, dict[str, str]]  # metric -> model label -> group letters
    adjust: str
    alpha: float
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "models": self.models,
            "adjust": self.adjust,
            "alpha": self.alpha,
            "estimates": {m: {k: e.to_dict() for k, e in per.items()} for m, per in self.estimates.items()},
            "pairs": [
                {
                    "metric": p.metric,
                    "a": p.a,
                    "b": p.b,
                    "n_pairs": p.n_pairs,
                    "difference": p.result.difference.to_dict(),
                    "pvalue": p.result.pvalue,
                    "adjusted_pvalue": p.adjusted_pvalue,
                    "mcnemar_pvalue": p.mcnemar_pvalue,
                    "correlation": p.result.correlation,
                    "variance_reduction": p.result.variance_reduction,
                }
                for p in self.pairs
            ],
            "groups": self.groups,
            "warnings": self.warnings,
        }


def _scores_by_key(run: Run, view: MetricView) -> tuple[dict[RecordKey, float], dict[RecordKey, str]]:
    values: dict[RecordKey, float] = {}
    clusters: dict[RecordKey, str] = {}
    for r in run.records():
        v = (r.get("scores") or {}).get(view.metric)
        if v is None or (view.where is not None and not view.where(r)):
            continue
        key = record_key(r)
        values[key] = float(v)
        cluster = view.cluster(r) if view.cluster is not None else r.get("cluster")
        clusters[key] = str(cluster) if cluster is not None else str(r["sample_id"])
    return values, clusters


def labels_for(runs: list[Run]) -> list[str]:
    """Model names, disambiguated by run directory when a model appears twice."""
    names = [r.model for r in runs]
    return [n if names.count(n) == 1 else f"{n} ({r.path.name})" for n, r in zip(names, runs, strict=True)]


def check_comparable(runs: list[Run]) -> None:
    if len(runs) < 2:
        raise RunDirError("compare needs at least two run directories", fix="assay compare RUN_A RUN_B [RUN_C ...]")
    first = runs[0].spec["task"]
    for run in runs[1:]:
        task = run.spec["task"]
        if task["name"] != first["name"]:
            raise RunDirError(
                f"cannot pair runs of different tasks: {first['name']!r} ({runs[0].path}) and {task['name']!r} "
                f"({run.path})",
                fix="compare runs of the same task",
            )
        if task["dataset_hash"] != first["dataset_hash"]:
            raise RunDirError(
                f"cannot pair runs of task {task['name']!r} made on different datasets ({runs[0].path}, {run.path})",
                fix="compare runs made on the same data (the dataset hash in spec.json must match)",
            )


def compare_runs(
    runs: list[Run],
    *,
    metrics: Sequence[str | MetricView] | None = None,
    adjust: str = "holm",
    alpha: float = 0.05,
    skip_sparse: bool = False,
) -> Comparison:
    """Pair every two runs on each metric (a name, or a `MetricView` of some records); see the module
    docstring for the method. p-values are adjusted across every metric and pair together. A metric that the
    runs share fewer than 2 scored records on is an error, or with `skip_sparse` left out with a warning."""
    check_comparable(runs)
    labels = labels_for(runs)
    views = [m if isinstance(m, MetricView) else MetricView(m) for m in metrics or runs[0].spec["task"]["metrics"]]
    notes: list[str] = []
    estimates: dict[str, dict[str, Estimate]] = {}
    pairs: list[PairComparison] = []
    for view in views:
        metric = view.name
        scores = [_scores_by_key(run, view) for run in runs]
        key_sets = [set(v) for v, _ in scores]
        common = set.intersection(*key_sets)
        if len(common) < 2 and skip_sparse:
            notes.append(f"{metric}: not compared, the runs share {len(common)} scored record(s) and it needs 2")
            continue
        if len(common) < 2:
            raise RunDirError(
                f"the runs share {len(common)} scored record(s) on metric {metric!r}; a comparison needs 2",
                fix="check the runs' --limit",
            )
        if any(len(k) != len(common) for k in key_sets):
            counts = ", ".join(f"{lab}: {len(k)}" for lab, k in zip(labels, key_sets, strict=True))
            notes.append(f"{metric}: sample sets differ ({counts}); comparing the {len(common)} records all runs share")
        keys = sorted(common)
        clusters = np.array([scores[0][1][k] for k in keys])
        # one cluster holding every record leaves no between-cluster variance to estimate: compare unclustered
        use_clusters = clusters if 1 < len(set(clusters.tolist())) < len(keys) else None
        arrays = [np.array([v[k] for k in keys]) for v, _ in scores]
        from assay.stats import mean_estimate

        estimates[metric] = {
            lab: mean_estimate(x, clusters=use_clusters) for lab, x in zip(labels, arrays, strict=True)
        }
        for i, j in combinations(range(len(runs)), 2):
            a, b = arrays[i], arrays[j]
            result = paired_difference(a, b, clusters=use_clusters)
            binary = bool(np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all())
            mc = mcnemar(a, b).pvalue if binary and use_clusters is None else None
            pairs.append(PairComparison(metric, labels[i], labels[j], len(keys), result, mc))
    if pairs:
        adjusted = adjust_pvalues([p.result.pvalue for p in pairs], method=adjust)
        for p, q in zip(pairs, adjusted, strict=True):
            p.adjusted_pvalue = float(q)
    groups = {m: _group_letters(labels, estimates[m], [p for p in pairs if p.metric == m], alpha) for m in estimates}
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return Comparison(runs[0].task, labels, estimates, pairs, groups, adjust, alpha, notes)


def _group_letters(
    labels: list[str], est: dict[str, Estimate], pairs: list[PairComparison], alpha: float
) -> dict[str, str]:
    """Compact letter display: models sharing a letter are not significantly different."""
    differ = {frozenset((p.a, p.b)) for p in pairs if p.adjusted_pvalue < alpha}
    order = sorted(labels, key=lambda lab: -est[lab].value)
    groups: list[list[str]] = []
    for start in range(len(order)):
        end = start
        while end + 1 < len(order) and all(
            frozenset((order[k], order[end + 1])) not in differ for k in range(start, end + 1)
        ):
            end += 1
        members = order[start : end + 1]
        if not any(set(members) <= set(g) for g in groups):
            groups.append(members)
    letters = {lab: "" for lab in labels}
    for idx, members in enumerate(groups):
        for lab in members:
            letters[lab] += chr(ord("a") + idx)
    return letters


@dataclass
class SubsetComparison:
    """One run's score on the flagged samples (e.g. contaminated) against the rest, per metric."""

    task: str
    model: str
    label: str
    results: dict[str, UnpairedResult]

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "model": self.model,
            "label": self.label,
            "metrics": {
                m: {
                    "flagged": r.a.to_dict(),
                    "rest": r.b.to_dict(),
                    "difference": r.difference.to_dict(),
                    "pvalue": r.pvalue,
                }
                for m, r in self.results.items()
            },
        }


def compare_subsets(
    run: Run, flagged: set[str], *, label: str = "contaminated", metrics: list[str] | None = None
) -> SubsetComparison:
    """Flagged samples against the others (different samples, so unpaired: Welch, or Agresti-Caffo for 0/1)."""
    from assay.core.results import per_sample_scores

    metrics = metrics or list(run.spec["task"]["metrics"])
    out: dict[str, UnpairedResult] = {}
    records = list(run.records())
    for metric in metrics:
        ids, values, clusters = per_sample_scores(records, metric)
        means = [sum(v) / len(v) for v in values]
        inside = [i for i, sid in enumerate(ids) if sid in flagged]
        outside = [i for i, sid in enumerate(ids) if sid not in flagged]
        if len(inside) < 2 or len(outside) < 2:
            raise RunDirError(
                f"{run.path}: {len(inside)} {label} and {len(outside)} other scored samples on {metric!r}",
                fix=f"a comparison needs at least 2 samples on each side; is the report for task {run.task!r}?",
            )
        use_clusters = all(c is not None for c in clusters) and len(set(clusters)) < len(ids)
        out[metric] = unpaired_difference(
            [means[i] for i in inside],
            [means[i] for i in outside],
            clusters_a=[str(clusters[i]) for i in inside] if use_clusters else None,
            clusters_b=[str(clusters[i]) for i in outside] if use_clusters else None,
        )
    return SubsetComparison(run.task, run.model, label, out)
