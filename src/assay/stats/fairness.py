"""Group fairness metrics for 0/1 predictions, each an Estimate with a seeded stratified bootstrap interval.

Rates per group: selection rate P(pred=1 | g), true positive rate P(pred=1 | label=1, g), false positive
rate P(pred=1 | label=0, g). The bootstrap resamples within each group (and, for TPR/FPR, within each label
inside the group), so every replicate keeps every group and every rate stays defined; a resampled rate is
then exactly Binomial(size, observed rate) / size, which the code draws directly (vectorised, exact).

The differences (max - min across groups) take their intervals from `assay.stats.gaps.max_gap_interval`
(simultaneous studentised intervals for every pair of groups), not from percentiles of the resampled
max - min, whose interval misses parity (a difference of 0) in most runs where the groups are equal. The
ratio (min / max) is the same interval on log rates; `se` is the bootstrap standard deviation of the metric.
Standard errors are floored at the Agresti-Coull ones, so groups whose rates are all 0 or 1 keep an interval.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._validate import FloatArray, as_clusters, as_scores, check_level, is_binary
from assay.stats.estimate import Estimate
from assay.stats.gaps import max_gap_interval
from assay.stats.intervals import agresti_coull_se


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
    n_resamples: int,
    seed: int,
    level: float,
    *,
    ratio: bool = False,
) -> Estimate:
    """The largest max - min gap over the rate kinds in `counts` (or, with `ratio`, min / max of the one kind)."""
    level = check_level(level)
    if not isinstance(n_resamples, int) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    rng = np.random.default_rng(seed)
    observed = {k: hits / size for k, (hits, size) in counts.items()}
    resampled = {
        k: rng.binomial(size.astype(np.int64), hits / size, size=(n_resamples, size.size)) / size
        for k, (hits, size) in counts.items()
    }
    if ratio:
        (rates,), (reps,) = observed.values(), resampled.values()
        value = float(rates.min() / rates.max())
        if value == 0:  # a group never selected: every resampled ratio is 0 too, so no interval can be made
            nan = float("nan")
            return Estimate(0.0, nan, nan, nan, n, method="none (a group's rate is 0)", level=level)
        hits, size = next(iter(counts.values()))
        # the delta method takes the Agresti-Coull floor to the log scale: se(log p) = se(p) / p
        log_floor = agresti_coull_se(hits, size) / ((hits + 2) / (size + 4))
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = reps.min(axis=1) / reps.max(axis=1)
            # min / max = exp(-(max - min) of the log rates): the gap interval on the log scale, mapped back.
            log_low, log_high = max_gap_interval(
                [(np.log(rates), np.log(reps))], level, [_independent_pairs(log_floor)]
            )
        low, high = np.exp(-log_high), np.exp(-log_low)
    else:
        value = max(float(np.ptp(r)) for r in observed.values())
        stat = np.max([np.ptp(r, axis=1) for r in resampled.values()], axis=0)
        floors = [_independent_pairs(agresti_coull_se(hits, size)) for hits, size in counts.values()]
        low, high = max_gap_interval([(observed[k], resampled[k]) for k in counts], level, floors)
        high = min(high, 1.0)
    stat = stat[np.isfinite(stat)]
    if stat.size < n_resamples // 2 or not np.isfinite(low):
        raise ValueError(
            "the metric is undefined in most bootstrap replicates (a group with a rate of 0 in a ratio?); "
            "report the difference instead"
        )
    se = float(np.std(stat, ddof=1))
    return Estimate(value, se, float(low), float(high), n, method="bootstrap_max_t", level=level)


def _independent_pairs(se: FloatArray) -> FloatArray:
    """Standard errors of the differences of independent groups' estimates, pairs j < k in triu order."""
    j, k = np.triu_indices(se.size, 1)
    return np.asarray(np.sqrt(se[j] ** 2 + se[k] ** 2), dtype=float)


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
    return _estimate(counts, n, n_resamples, seed, level)


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
    return _estimate(counts, n, n_resamples, seed, level, ratio=True)


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
    return _estimate(counts, n, n_resamples, seed, level)


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
    return _estimate(counts, n, n_resamples, seed, level)
