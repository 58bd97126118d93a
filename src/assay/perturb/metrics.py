"""Robustness metrics of a run with perturbation variants, computed from its sample records.

`robustness_results(records, metric)` reports, for the samples present in the clean run and every variant:

- per perturbation: the metric under it, the paired drop from clean (clean - perturbed, `paired_difference`:
  Bonett-Price for 0/1 scores, else t; clustered t by the record's `cluster` when there are several), with its
  p-value and, for 0/1 scores,
  McNemar's exact p-value), consistency (share of samples whose score is unchanged) and the
  performance-drop rate PDR = 1 - perturbed/clean (Zhu et al., 2023, PromptBench) with a bootstrap interval;
- worst case (HELM, Liang et al. 2022): a sample counts as correct only if it is correct in the clean run and
  under every robustness perturbation (for graded scores: its minimum over them), with a CI;
- overall consistency: share of samples whose score is the same in the clean run and under every perturbation;
- format spread (FormatSpread, Sclar et al. 2024): max minus min accuracy over the prompt formats (the clean
  run is the default format, plus every `format:*` variant), with a simultaneous bootstrap interval
  (`assay.stats.gaps`: a percentile interval of max - min would miss a spread of 0 in most runs);
- counterfactual variants (`swap_gender`, `gender:*`, `names:*`, `race:*`) are left out of the worst case
  and reported by `assay.perturb.fairness_metrics.counterfactual_results` under "counterfactual".

Bootstrap intervals resample samples (with replacement), one resample shared by every variant so that the
pairing is kept; they are seeded. Epochs are averaged within a sample first, as in `results.json`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.core.results import usable_clusters
from assay.perturb import perturbation_kind
from assay.stats import Estimate, mcnemar, mean_estimate, paired_difference
from assay.stats.gaps import paired_extreme, resample_weights

__all__ = ["VariantScores", "collect", "robustness_results"]

ROBUSTNESS_KINDS = ("text", "choices", "format")


@dataclass
class VariantScores:
    """Per-sample means of one metric for every variant, plus clusters, answers and perturbation flags."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # variant -> sample id -> mean score
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # variant -> sample id -> answer (epoch 1)
    changed: dict[str, dict[str, bool]] = field(default_factory=dict)  # variant -> sample id -> text changed?
    kinds: dict[str, str | None] = field(default_factory=dict)
    clusters: dict[str, str | None] = field(default_factory=dict)


def collect(records: Iterable[dict[str, Any]], metric: str) -> VariantScores:
    """Group records by variant and sample, averaging `metric` over epochs."""
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    out = VariantScores()
    for r in records:
        value = (r.get("scores") or {}).get(metric)
        if value is None:
            continue
        variant, sid = r.get("variant", ""), r["sample_id"]
        sums[variant][sid].append(float(value))
        if int(r.get("epoch", 1)) == 1:
            out.answers.setdefault(variant, {})[sid] = r.get("answer")
        info = (r.get("metadata") or {}).get("perturbation") or {}
        if variant:
            out.changed.setdefault(variant, {})[sid] = bool(info.get("changed", True))
            out.kinds[variant] = info.get("kind") or perturbation_kind(variant)
        else:
            out.clusters[sid] = r.get("cluster")
    out.scores = {v: {s: sum(x) / len(x) for s, x in by.items()} for v, by in sums.items()}
    return out


def _clusters(ids: list[str], clusters: dict[str, str | None]) -> list[str] | None:
    return usable_clusters([clusters.get(i) for i in ids])


def _mean(x: np.ndarray, clusters: list[str] | None) -> dict[str, Any]:
    if x.size == 0:
        return {}
    return mean_estimate(x, clusters=clusters).to_dict()


def _percentile(value: float, reps: np.ndarray, n: int, level: float) -> dict[str, Any]:
    reps = reps[np.isfinite(reps)]
    if reps.size < 2:
        nan = float("nan")
        return Estimate(value, nan, nan, nan, n, method="bootstrap_percentile", level=level).to_dict()
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    se = float(np.std(reps, ddof=1))
    return Estimate(value, se, float(lo), float(hi), n, method="bootstrap_percentile", level=level).to_dict()


def _pdr(clean: float, perturbed: float) -> float:
    return 1.0 - perturbed / clean if clean != 0 else float("nan")


def robustness_results(
    records: list[dict[str, Any]],
    metric: str,
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Any]:
    """The robustness section of `results.json` for `metric` (see the module docstring); {} without variants.

    >>> recs = [{"sample_id": str(i), "epoch": 1, "variant": v, "scores": {"acc": float(ok)}}
    ...         for i in range(6) for v, ok in (("", i < 4), ("typo", i < 2))]
    >>> out = robustness_results(recs, "acc")
    >>> out["perturbations"]["typo"]["drop"]["value"], out["worst_case"]["value"]
    (0.3333333333333333, 0.3333333333333333)
    """
    data = collect(records, metric)
    clean = data.scores.get("", {})
    variants = sorted(v for v in data.scores if v)
    if not clean or not variants:
        return {}
    robust = [v for v in variants if data.kinds.get(v) in ROBUSTNESS_KINDS or data.kinds.get(v) is None]
    ids = [i for i in clean if all(i in data.scores[v] for v in variants)]
    out: dict[str, Any] = {"metric": metric, "n_samples": len(ids), "level": level, "n_resamples": n_resamples}
    if len(ids) < 2:
        out["note"] = "fewer than 2 samples were scored in the clean run and every variant"
        return out
    clusters = _clusters(ids, data.clusters)
    x_clean = np.array([clean[i] for i in ids])
    matrix = {v: np.array([data.scores[v][i] for i in ids]) for v in variants}
    weights = resample_weights(len(ids), n_resamples, seed)
    boot_clean = weights @ x_clean / len(ids)
    binary = bool(np.all(np.isin(x_clean, (0.0, 1.0))))
    out["clean"] = _mean(x_clean, clusters)

    per: dict[str, Any] = {}
    for v in variants:
        x = matrix[v]
        paired = paired_difference(x_clean, x, clusters=clusters, level=level)
        entry: dict[str, Any] = {
            "kind": data.kinds.get(v),
            "score": _mean(x, clusters),
            "drop": paired.difference.to_dict(),
            "pvalue": paired.pvalue,
            "consistency": mean_estimate((x == x_clean).astype(float)).to_dict(),
            "n_changed": int(sum(data.changed.get(v, {}).get(i, True) for i in ids)),
        }
        if binary and np.all(np.isin(x, (0.0, 1.0))):
            entry["mcnemar_pvalue"] = mcnemar(x_clean, x).pvalue
        boot = weights @ x / len(ids)
        with np.errstate(divide="ignore", invalid="ignore"):
            entry["pdr"] = _percentile(
                _pdr(float(x_clean.mean()), float(x.mean())), 1.0 - boot / boot_clean, len(ids), level
            )
        per[v] = entry
    out["perturbations"] = per

    if robust:
        stack = np.vstack([x_clean] + [matrix[v] for v in robust])
        out["worst_case"] = {**_mean(stack.min(axis=0), clusters), "over": ["", *robust]}
        same = np.all(stack == x_clean, axis=0).astype(float)
        out["consistency"] = {**mean_estimate(same).to_dict(), "over": ["", *robust]}
    formats = [v for v in variants if data.kinds.get(v) == "format"]
    if formats:
        names = ["", *formats]
        accs = np.vstack([x_clean] + [matrix[v] for v in formats])  # formats x samples
        point = accs.mean(axis=1)
        spread = paired_extreme(accs, "gap", n_resamples=n_resamples, seed=seed, level=level).to_dict()
        out["format_spread"] = {
            "spread": spread,
            "formats": {n or "default": float(a) for n, a in zip(names, point, strict=True)},
            "best": names[int(point.argmax())] or "default",
            "worst": names[int(point.argmin())] or "default",
        }
    counterfactual = [v for v in variants if data.kinds.get(v) == "counterfactual"]
    if counterfactual:
        from assay.perturb.fairness_metrics import counterfactual_results

        out["counterfactual"] = counterfactual_results(records, metric, data=data, seed=seed, level=level)
    return out
