"""Items answered several times (epochs): the mean over items and Miller's (2024) variance decomposition.

Each item i has a conditional mean x_i (its expected score) and each answer adds sampling noise with
variance sigma_i^2. With K answers per item the mean of item means has variance
(Var(x) + E[sigma^2] / K) / n: `between_var` estimates Var(x), `within_var` estimates E[sigma^2].

For 0/1 scores the interval is `item_clustered_wilson`: each item is a cluster of its epochs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._validate import FloatArray, check_level, is_binary
from assay.stats.estimate import Estimate, design_effect_wilson, moment_interval
from assay.stats.intervals import wilson_limits
from assay.stats.results import fmt, table


@dataclass(frozen=True, slots=True)
class EpochsResult:
    """The mean over items (each item weighted equally) and the variance components.

    `within_var`: pooled within-item variance of answers (sampling noise, ANOVA mean square within).
    `between_var`: variance of the items' true means, Var(item means) - mean(within_var / K_i), clipped at 0.
    """

    estimate: Estimate
    within_var: float
    between_var: float
    mean_epochs: float

    def se_for_epochs(self, k: int) -> float:
        """Predicted SE of the mean with `k` epochs per item on the same number of items (for planning)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        return math.sqrt((self.between_var + self.within_var / k) / self.estimate.n)

    def summary(self) -> str:
        e = self.estimate
        rows = [
            ("mean over items", fmt(e.value)),
            ("standard error", fmt(e.se)),
            (f"{100 * e.level:g}% CI", f"[{fmt(e.ci_low)}, {fmt(e.ci_high)}]"),
            ("items", str(e.n)),
            ("mean epochs per item", fmt(self.mean_epochs, 2)),
            ("within-item variance", fmt(self.within_var)),
            ("between-item variance", fmt(self.between_var)),
        ]
        return table("Epochs estimate", rows, note=f"method: {e.method} over item means")

    def __str__(self) -> str:
        return self.summary()


def _matrix(scores_by_sample: ArrayLike | Sequence[Sequence[float]]) -> FloatArray:
    if isinstance(scores_by_sample, np.ndarray):
        m = np.asarray(scores_by_sample, dtype=float)
    else:
        rows = [np.asarray(r, dtype=float).reshape(-1) for r in scores_by_sample]  # type: ignore[union-attr]
        width = max((r.size for r in rows), default=0)
        m = np.full((len(rows), width), np.nan)
        for i, r in enumerate(rows):
            m[i, : r.size] = r
    if m.ndim != 2:
        raise ValueError(f"scores_by_sample must be items x epochs (2-D or a list of lists), got shape {m.shape}")
    if np.isinf(m).any():
        raise ValueError("scores_by_sample contains infinite values")
    return m


def item_clustered_wilson(m: FloatArray, level: float = 0.95) -> tuple[float, float]:
    """Wilson interval for the mean of item means of 0/1 scores, items (rows) as clusters of their epochs.

    `m` is items x epochs with NaN for missing epochs; every item needs a score. The clustered Wilson of
    `mean_estimate` (Korn and Graubard 1998), written for this estimator, which weights items equally:

    - n_w = n^2 / sum(1 / K_i), the Kish effective size of those weights (n K when every K_i = K), is the
      effective size of the estimate if all scores were independent;
    - deff = v / v_0, at least 1, with v the cluster-robust (CR1) variance of the mean of item means, that is
      var(item means, ddof=1) / n (the square of `se`), and v_0 = p(1-p) / (n_w - 1) the unbiased variance
      the same estimate would have with independent scores. Both are unbiased, so independent scores give
      deff 1: with one epoch per item (n_w = n, v = v_0) the interval is Wilson's on n scores exactly;
    - Wilson's interval at p on n_w / deff * (t_{n_w-1} / t_{n-1})^2, Korn and Graubard's factor for a
      variance estimated from n items.

    When the rarer outcome occurs at most once (every score 0 or 1, or a single 1 or 0) the design effect
    cannot be estimated: v is then 0, or, for a single rare score (and equal K_i), v equals v_0 whatever
    the clustering, so the formula would quietly treat the epochs as independent. For a rare outcome, whose
    epochs cluster most, that under-covers (30 items x 10 epochs at p = 0.02: 91% instead of 97%). The
    interval then takes the largest design effect the data allow rather than the smallest: a mean of n item
    means in [0, 1] with mean p has variance at most p(1-p) / n (an item's mean varies at most as much as
    one 0/1 score; deff = K when all of an item's epochs agree), so it is Wilson's interval on the n items.

    >>> lo, hi = item_clustered_wilson(np.zeros((30, 3)))
    >>> round(lo, 4), round(hi, 4)
    (0.0, 0.1135)
    """
    k = np.sum(~np.isnan(m), axis=1)
    n = int(m.shape[0])
    if n < 2 or np.any(k == 0):
        raise ValueError("item_clustered_wilson needs at least 2 items, each with a score")
    item_means = np.nanmean(m, axis=1)
    p = float(item_means.mean())
    total = int(k.sum())
    successes = int(np.nansum(m))
    if min(successes, total - successes) <= 1:
        lo, hi = wilson_limits(p, n, level)
        return float(lo), float(hi)
    n_w = n * n / float(np.sum(1.0 / k))
    v = float(item_means.var(ddof=1)) / n
    return design_effect_wilson(p, n_w, max(1.0, v * (n_w - 1) / (p * (1 - p))), n - 1, level)


def epochs_estimate(scores_by_sample: ArrayLike | Sequence[Sequence[float]], *, level: float = 0.95) -> EpochsResult:
    """Mean over items of per-item mean scores, its SE (over items), an interval, and the variance components.

    Rows are items, columns epochs; ragged rows (a list of lists) or NaN mark missing epochs.

    The interval: for 0/1 scores the clustered Wilson interval with items as clusters (`item_clustered_wilson`,
    method ``clustered_wilson``), which keeps its coverage for rare outcomes and never collapses to [0, 0]
    when every score is 0; for other scores Student t over the item means on items - 1 df (method ``t``).
    `se` is sd(item means) / sqrt(items) in both cases, and `df` = items - 1.

    >>> r = epochs_estimate([[1, 1, 0], [0, 0, 0], [1, 1, 1], [1, 0]])
    >>> round(r.estimate.value, 4), round(r.within_var, 4), round(r.between_var, 4)
    (0.5417, 0.1667, 0.1111)
    >>> r.estimate.method
    'clustered_wilson'
    """
    level = check_level(level)
    m = _matrix(scores_by_sample)
    k = np.sum(~np.isnan(m), axis=1)
    if m.shape[0] < 2:
        raise ValueError(f"epochs_estimate needs at least 2 items, got {m.shape[0]}")
    if np.any(k == 0):
        raise ValueError(f"item(s) {np.flatnonzero(k == 0).tolist()[:5]} have no scores; drop them first")
    dof_within = int(np.sum(k - 1))
    if dof_within == 0:
        raise ValueError(
            "every item has a single epoch, so within-item variance cannot be separated; "
            "use mean_estimate for one epoch per item"
        )
    item_means = np.nanmean(m, axis=1)
    within = float(np.nansum((m - item_means[:, None]) ** 2) / dof_within)
    between = max(0.0, float(item_means.var(ddof=1) - np.mean(within / k)))
    observed = m[~np.isnan(m)]
    binary = is_binary(observed)
    est = moment_interval(item_means, clusters=None, level=level, method="t", clip=binary)
    if binary:
        lo, hi = item_clustered_wilson(m, level)
        est = replace(est, ci_low=lo, ci_high=hi, method="clustered_wilson")
    return EpochsResult(estimate=est, within_var=within, between_var=between, mean_epochs=float(k.mean()))
