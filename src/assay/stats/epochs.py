"""Items answered several times (epochs): the mean over items and Miller's (2024) variance decomposition.

Each item i has a conditional mean x_i (its expected score) and each answer adds sampling noise with
variance sigma_i^2. With K answers per item the mean of item means has variance
(Var(x) + E[sigma^2] / K) / n: `between_var` estimates Var(x), `within_var` estimates E[sigma^2].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._validate import FloatArray, check_level
from assay.stats.estimate import Estimate, moment_interval
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


def epochs_estimate(scores_by_sample: ArrayLike | Sequence[Sequence[float]], *, level: float = 0.95) -> EpochsResult:
    """Mean over items of per-item mean scores, its SE (t on items - 1 df), and the variance
    components. The interval is clipped to [0, 1] for 0/1 scores.

    Rows are items, columns epochs; ragged rows (a list of lists) or NaN mark missing epochs.

    >>> r = epochs_estimate([[1, 1, 0], [0, 0, 0], [1, 1, 1], [1, 0]])
    >>> round(r.estimate.value, 4), round(r.within_var, 4), round(r.between_var, 4)
    (0.5417, 0.1667, 0.1111)
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
    binary = bool(np.all((observed == 0) | (observed == 1)))
    est = moment_interval(item_means, clusters=None, level=level, method="t", clip=binary)
    return EpochsResult(estimate=est, within_var=within, between_var=between, mean_epochs=float(k.mean()))
