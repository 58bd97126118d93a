"""Group fairness metrics for 0/1 predictions, each an Estimate with a seeded stratified bootstrap interval.

Rates per group: selection rate P(pred=1 | g), true positive rate P(pred=1 | label=1, g), false positive
rate P(pred=1 | label=0, g). The bootstrap resamples within each group (and, for TPR/FPR, within each label
inside the group), so every replicate keeps every group and every rate stays defined; a resampled rate is
then exactly Binomial(size, observed rate) / size, which the code draws directly (vectorised, exact).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._validate import FloatArray, as_clusters, as_scores, check_level, is_binary
from assay.stats.estimate import Estimate

Metric = Callable[[dict[str, FloatArray]], FloatArray]


def _rates(
    predictions: ArrayLike, labels: ArrayLike | None, groups: ArrayLike, kinds: tuple[str, ...]
) -> tuple[dict[str, tuple[FloatArray, FloatArray]], int]:
    """For each rate kind: (numerator counts per group, denominator sizes per group)."""
    pred = as_scores(predictions, "predictions")
    if not is_binary(pred):
        raise ValueError("predictions must be 0/1 (threshold scores first)")
    codes, g = as_clusters(groups, pred.size, "groups")
    if g < 2:
        raise ValueError(f"fairness metrics compare groups: need at least 2 groups, got {g}")
    out: dict[str, tuple[FloatArray, FloatArray]] = {}
    for kind in kinds:
        if kind == "selection":
            mask = np.ones(pred.size, dtype=bool)
        else:
            if labels is None:
                raise ValueError(f"the {kind.upper()} needs labels (0/1 ground truth)")
            y = as_scores(labels, "labels")
            if y.size != pred.size or not is_binary(y):
                raise ValueError("labels must be 0/1 with one label per prediction")
            mask = y == (1.0 if kind == "tpr" else 0.0)
        size = np.bincount(codes[mask], minlength=g).astype(float)
        hits = np.bincount(codes[mask], weights=pred[mask], minlength=g).astype(float)
        empty = np.flatnonzero(size == 0)
        if empty.size:
            what = "items" if kind == "selection" else ("positive labels" if kind == "tpr" else "negative labels")
            raise ValueError(f"the {kind.upper()} is undefined: group(s) at code {empty.tolist()} have no {what}")
        out[kind] = (hits, size)
    return out, int(pred.size)


def _estimate(
    counts: dict[str, tuple[FloatArray, FloatArray]],
    n: int,
    metric: Metric,
    n_resamples: int,
    seed: int,
    level: float,
) -> Estimate:
    level = check_level(level)
    if not isinstance(n_resamples, int) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    rng = np.random.default_rng(seed)
    observed = {k: (hits / size)[None, :] for k, (hits, size) in counts.items()}
    resampled = {
        k: rng.binomial(size.astype(np.int64), hits / size, size=(n_resamples, size.size)) / size
        for k, (hits, size) in counts.items()
    }
    value = float(metric(observed)[0])
    reps = metric(resampled)
    reps = reps[np.isfinite(reps)]
    if reps.size < n_resamples // 2:
        raise ValueError("the metric is undefined in most bootstrap replicates (a rate of 0 in a ratio?)")
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(
        value, float(np.std(reps, ddof=1)), float(lo), float(hi), n, method="bootstrap_percentile", level=level
    )


def _spread(r: FloatArray) -> FloatArray:
    return np.asarray(r.max(axis=1) - r.min(axis=1), dtype=float)


def demographic_parity_difference(
    predictions: ArrayLike,
    labels: ArrayLike | None,
    groups: ArrayLike,
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate:
    """Largest minus smallest selection rate P(pred=1) across groups (0 is parity). `labels` is unused.

    >>> e = demographic_parity_difference([1, 1, 0, 1, 0, 0], None, ["a", "a", "a", "b", "b", "b"])
    >>> round(e.value, 4)
    0.3333
    """
    counts, n = _rates(predictions, labels, groups, ("selection",))
    return _estimate(counts, n, lambda r: _spread(r["selection"]), n_resamples, seed, level)


def _ratio(r: FloatArray) -> FloatArray:
    top = r.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(top > 0, r.min(axis=1) / top, np.nan), dtype=float)


def demographic_parity_ratio(
    predictions: ArrayLike,
    labels: ArrayLike | None,
    groups: ArrayLike,
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate:
    """Smallest over largest selection rate across groups (1 is parity; the "80% rule" compares it to 0.8).

    >>> e = demographic_parity_ratio([1, 1, 0, 1, 0, 0], None, ["a", "a", "a", "b", "b", "b"])
    >>> round(e.value, 4)
    0.5
    """
    counts, n = _rates(predictions, labels, groups, ("selection",))
    if counts["selection"][0].sum() == 0:
        raise ValueError("demographic_parity_ratio is undefined when no group has any positive prediction")
    return _estimate(counts, n, lambda r: _ratio(r["selection"]), n_resamples, seed, level)


def equal_opportunity_difference(
    predictions: ArrayLike,
    labels: ArrayLike,
    groups: ArrayLike,
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate:
    """Largest minus smallest true positive rate across groups.

    >>> e = equal_opportunity_difference([1, 0, 1, 1], [1, 1, 1, 1], ["a", "a", "b", "b"])
    >>> e.value
    0.5
    """
    counts, n = _rates(predictions, labels, groups, ("tpr",))
    return _estimate(counts, n, lambda r: _spread(r["tpr"]), n_resamples, seed, level)


def equalized_odds_difference(
    predictions: ArrayLike,
    labels: ArrayLike,
    groups: ArrayLike,
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate:
    """The larger of the TPR spread and the FPR spread across groups (fairlearn's definition).

    >>> e = equalized_odds_difference([1, 0, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0], ["a", "a", "b", "b", "a", "b"])
    >>> e.value
    1.0
    """
    counts, n = _rates(predictions, labels, groups, ("tpr", "fpr"))
    return _estimate(counts, n, lambda r: np.maximum(_spread(r["tpr"]), _spread(r["fpr"])), n_resamples, seed, level)
