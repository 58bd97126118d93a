"""Counterfactual fairness from a run with demographic-swap variants (`swap_gender`, `gender:*`, `names:*`,
`race:*`): how often the answer flips when only the demographic terms change, and accuracy per group.

- Flip rate per variant, paired with the clean sample: `answer_flip_rate` (the extracted answer differs)
  and `correctness_flip_rate` (correct in one, wrong in the other), each with a Wilson interval, over all
  samples and over the samples the swap actually changed; McNemar's exact test of clean vs swapped accuracy.
- Per attribute (gender, names, race), the "groups" are the term sets substituted (`gender:female`,
  `gender:male`, ...). Each group's accuracy is an Estimate; with two or more groups the accuracy parity
  difference (max - min) and ratio (min / max) come from `assay.stats.demographic_parity_difference` /
  `demographic_parity_ratio` applied to correctness. Those bootstrap each group independently, which is
  conservative here (every group is the same samples, rewritten); `paired_max_gap` adds the paired
  bootstrap of the same gap, resampling samples once for all groups. Gap intervals are simultaneous over
  all pairs of groups (`assay.stats.gaps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from assay.stats import demographic_parity_difference, demographic_parity_ratio, mcnemar, mean_estimate
from assay.stats.gaps import paired_extreme

if TYPE_CHECKING:
    from assay.perturb.metrics import VariantScores

__all__ = ["counterfactual_results"]


def _attribute(variant: str) -> tuple[str, str]:
    base, _, group = variant.partition(":")
    return (base, group) if group else (base, "swapped")


def _rate(flags: np.ndarray) -> dict[str, Any]:
    return mean_estimate(flags.astype(float), method="wilson").to_dict() if flags.size else {}


def counterfactual_results(
    records: list[dict[str, Any]],
    metric: str,
    *,
    data: VariantScores | None = None,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, Any]:
    """Flip rates and per-group accuracy with parity metrics for the counterfactual variants of a run.

    >>> recs = [{"sample_id": str(i), "epoch": 1, "variant": v, "answer": a, "scores": {"acc": float(a == "A")},
    ...          "metadata": {"perturbation": {"kind": "counterfactual", "changed": True}} if v else {}}
    ...         for i in range(4) for v, a in (("", "A"), ("gender:female", "A" if i else "B"), ("gender:male", "A"))]
    >>> out = counterfactual_results(recs, "acc")
    >>> out["variants"]["gender:female"]["answer_flip_rate"]["value"]
    0.25
    >>> out["groups"]["gender"]["accuracy"]["male"]["value"]
    1.0
    """
    if data is None:
        from assay.perturb.metrics import collect

        data = collect(records, metric)
    clean = data.scores.get("", {})
    variants = sorted(v for v in data.scores if v and data.kinds.get(v) == "counterfactual")
    out: dict[str, Any] = {"metric": metric, "variants": {}, "groups": {}}
    for v in variants:
        ids = [i for i in clean if i in data.scores[v]]
        if not ids:
            continue
        a = np.array([clean[i] for i in ids])
        b = np.array([data.scores[v][i] for i in ids])
        answers_clean, answers_v = data.answers.get("", {}), data.answers.get(v, {})
        answer_flip = np.array([answers_clean.get(i) != answers_v.get(i) for i in ids])
        correct_flip = a != b
        changed = np.array([data.changed.get(v, {}).get(i, True) for i in ids])
        entry: dict[str, Any] = {
            "n_pairs": len(ids),
            "n_changed": int(changed.sum()),
            "answer_flip_rate": _rate(answer_flip),
            "correctness_flip_rate": _rate(correct_flip),
            "answer_flip_rate_changed": _rate(answer_flip[changed]),
            "score": mean_estimate(b).to_dict() if len(ids) > 1 else {},
            "score_clean": mean_estimate(a).to_dict() if len(ids) > 1 else {},
        }
        if np.all(np.isin(a, (0.0, 1.0))) and np.all(np.isin(b, (0.0, 1.0))):
            test = mcnemar(a, b)
            entry["mcnemar"] = {"pvalue": test.pvalue, "n01": test.n01, "n10": test.n10}
        out["variants"][v] = entry

    by_attribute: dict[str, list[str]] = {}
    for v in variants:
        by_attribute.setdefault(_attribute(v)[0], []).append(v)
    for attribute, members in sorted(by_attribute.items()):
        ids = [i for i in clean if all(i in data.scores[v] for v in members)]
        if len(ids) < 2:
            continue
        groups = {_attribute(v)[1]: np.array([data.scores[v][i] for i in ids]) for v in members}
        entry = {"n_samples": len(ids), "accuracy": {g: mean_estimate(x).to_dict() for g, x in groups.items()}}
        binary = all(np.all(np.isin(x, (0.0, 1.0))) for x in groups.values())
        if len(groups) >= 2 and binary:
            correct = np.concatenate(list(groups.values()))
            labels = np.repeat(list(groups), len(ids))
            difference = demographic_parity_difference(
                correct, None, labels, n_resamples=n_resamples, seed=seed, level=level
            )
            entry["parity_difference"] = difference.to_dict()
            if correct.sum() > 0:
                ratio = demographic_parity_ratio(correct, None, labels, n_resamples=n_resamples, seed=seed, level=level)
                entry["parity_ratio"] = ratio.to_dict()
            entry["paired_max_gap"] = paired_extreme(
                np.vstack(list(groups.values())), n_resamples=n_resamples, seed=seed, level=level
            ).to_dict()
        out["groups"][attribute] = entry
    return out
