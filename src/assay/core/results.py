"""From sample records to `results.json`: one `Estimate` per metric, overall, per group and per variant.

With several epochs, each sample's scores are averaged over its epochs first, so the
unit of inference stays the sample (epochs reduce within-sample noise; they do not
multiply n). Clusters, when the task has them, give cluster-robust intervals. Variants
(perturbations, counterfactual swaps) are scored like the clean run and compared with
it sample by sample.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from assay.core.rundir import record_key

FEW_CLUSTERS = 20


def per_sample_scores(
    records: Iterable[dict[str, Any]], metric: str, variant: str = ""
) -> tuple[list[str], list[list[float]], list[str | None]]:
    """A metric's values by sample for one variant: ids, values over epochs, and each sample's cluster."""
    values: dict[str, list[float]] = defaultdict(list)
    clusters: dict[str, str | None] = {}
    for r in records:
        if r.get("variant", "") != variant:
            continue
        scores = r.get("scores") or {}
        if metric in scores and scores[metric] is not None:
            values[r["sample_id"]].append(float(scores[metric]))
            clusters[r["sample_id"]] = r.get("cluster")
    ids = list(values)
    return ids, [values[i] for i in ids], [clusters[i] for i in ids]


def usable_clusters(clusters: list[str | None]) -> list[str] | None:
    """The clusters to give a standard error: all samples have one and there are at least two, else None."""
    if all(c is not None for c in clusters) and len(set(clusters)) > 1:
        return [str(c) for c in clusters]
    return None


def estimable(per_epoch: list[list[float]]) -> bool:
    """Whether the samples can be summarised: two or more, or one whose epochs agree (its one value, with
    Wilson's interval for 0/1 or no interval otherwise). One sample whose epochs disagree is left out: its
    mean would pass for a score it never had, with no between-sample variance to measure."""
    return len(per_epoch) > 1 or len(set(per_epoch[0])) == 1


def metric_estimate(per_epoch: list[list[float]], clusters: list[str | None]) -> dict[str, Any]:
    import numpy as np

    from assay.stats import mean_estimate

    means = np.array([sum(v) / len(v) for v in per_epoch])
    estimate = mean_estimate(means, clusters=usable_clusters(clusters))
    out = estimate.to_dict()
    if estimate.n_clusters is not None and estimate.n_clusters < FEW_CLUSTERS:
        out["warning"] = (
            f"only {estimate.n_clusters} clusters: cluster-robust standard errors are unreliable with fewer than "
            f"{FEW_CLUSTERS} (Cameron & Miller 2015); read this interval with care"
        )
    epochs = len(per_epoch[0])
    if len(per_epoch) > 1 and epochs > 1 and all(len(v) == epochs for v in per_epoch):
        from assay.stats import epochs_estimate

        split = epochs_estimate(per_epoch)
        out["within_sample_var"] = split.within_var
        out["between_sample_var"] = split.between_var
    return out


def _group_of(record: dict[str, Any], group_by: str | None) -> str | None:
    if group_by:
        value = (record.get("metadata") or {}).get(group_by)
        return None if value is None else str(value)
    cluster = record.get("cluster")
    return None if cluster is None else str(cluster)


def compute_results(records: list[dict[str, Any]], metrics: list[str], group_by: str | None = None) -> dict[str, Any]:
    """The `results.json` body: Estimates per metric (clean samples), per group, and per variant.

    Groups are the values of metadata field `group_by` when given, else the clusters.
    """
    # a canonical order, so results do not depend on the order in which responses arrived
    records = sorted(records, key=record_key)
    out: dict[str, Any] = {"metrics": {}, "groups": {}}
    out["n_records"] = len(records)
    out["epochs"] = max((int(r["epoch"]) for r in records), default=0)
    variants = sorted({r.get("variant", "") for r in records} - {""})
    group_of = {r["sample_id"]: _group_of(r, group_by) for r in records if r.get("variant", "") == ""}
    for metric in metrics:
        ids, per_epoch, clusters = per_sample_scores(records, metric)
        if not ids:
            continue
        out["n_samples"] = len(ids)
        if not estimable(per_epoch):
            out.setdefault("not_estimated", {})[metric] = "one sample, whose epochs disagree: no interval"
            continue
        out["metrics"][metric] = metric_estimate(per_epoch, clusters)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, sample_id in enumerate(ids):
            group = group_of.get(sample_id)
            if group is not None:
                groups[group].append(i)
        if len(groups) > 1:
            for group, idx in sorted(groups.items()):
                if estimable([per_epoch[i] for i in idx]):  # a one-sample group with disagreeing epochs is left out
                    out["groups"].setdefault(group, {})[metric] = metric_estimate(
                        [per_epoch[i] for i in idx], [clusters[i] for i in idx]
                    )
        for variant in variants:
            v_ids, v_epochs, v_clusters = per_sample_scores(records, metric, variant)
            if not v_ids or not estimable(v_epochs):
                continue
            out.setdefault("variants", {}).setdefault(variant, {})[metric] = metric_estimate(v_epochs, v_clusters)
    if variants:
        # the paired comparison of each variant with the clean samples (drop, p, consistency, PDR...)
        from assay.perturb.metrics import robustness_results

        out["robustness"] = {m: robustness_results(records, m) for m in metrics if m in out["metrics"]}
    return out
