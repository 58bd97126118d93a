"""From sample records to `results.json`: one `Estimate` per metric, overall and per group.

With several epochs, each sample's scores are averaged over its epochs first, so the
unit of inference stays the sample (epochs reduce within-sample noise; they do not
multiply n). Clusters, when the task has them, give cluster-robust intervals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any


def per_sample_scores(records: Iterable[dict[str, Any]], metric: str) -> tuple[list[str], list[list[float]], list[str | None]]:
    """Group a metric's values by sample: ids, values over epochs, and each sample's cluster."""
    values: dict[str, list[float]] = defaultdict(list)
    clusters: dict[str, str | None] = {}
    for r in records:
        scores = r.get("scores") or {}
        if metric in scores and scores[metric] is not None:
            values[r["sample_id"]].append(float(scores[metric]))
            clusters[r["sample_id"]] = r.get("cluster")
    ids = list(values)
    return ids, [values[i] for i in ids], [clusters[i] for i in ids]


def metric_estimate(per_epoch: list[list[float]], clusters: list[str | None]) -> dict[str, Any]:
    import numpy as np

    from assay.stats import mean_estimate

    means = np.array([sum(v) / len(v) for v in per_epoch])
    use_clusters = clusters if all(c is not None for c in clusters) and len(set(clusters)) > 1 else None
    estimate = mean_estimate(means, clusters=use_clusters) if use_clusters else mean_estimate(means)
    return estimate.to_dict()


def compute_results(records: list[dict[str, Any]], metrics: list[str]) -> dict[str, Any]:
    """The `results.json` body: overall Estimates per metric, and per cluster when clustered."""
    out: dict[str, Any] = {"metrics": {}, "groups": {}}
    epochs = {int(r["epoch"]) for r in records}
    out["n_records"] = len(records)
    out["epochs"] = max(epochs) if epochs else 0
    for metric in metrics:
        ids, per_epoch, clusters = per_sample_scores(records, metric)
        if not ids:
            continue
        out["n_samples"] = len(ids)
        out["metrics"][metric] = metric_estimate(per_epoch, clusters)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(clusters):
            if c is not None:
                groups[c].append(i)
        if len(groups) > 1:
            for group, idx in sorted(groups.items()):
                out["groups"].setdefault(group, {})[metric] = metric_estimate(
                    [per_epoch[i] for i in idx], [None] * len(idx)
                )
    return out
