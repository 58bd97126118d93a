"""Calibration of predicted probabilities against 0/1 outcomes: expected calibration error and Brier score."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._validate import FloatArray, IntArray, as_scores, check_choice, check_level, is_binary
from assay.stats.estimate import Estimate, mean_estimate


def _inputs(probs: ArrayLike, correct: ArrayLike) -> tuple[FloatArray, FloatArray]:
    p = as_scores(probs, "probs")
    y = as_scores(correct, "correct")
    if p.size != y.size:
        raise ValueError(f"probs and correct must have one entry per item: got {p.size} and {y.size}")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probs must be probabilities in [0, 1]")
    if not is_binary(y):
        raise ValueError("correct must be 0/1 outcomes (1 when the prediction was right)")
    return p, y


def bin_edges(probs: FloatArray, n_bins: int, strategy: str) -> FloatArray:
    """The n_bins + 1 bin edges: equal width on [0, 1] ("uniform") or sample quantiles of `probs` ("quantile")."""
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.quantile(probs, np.linspace(0.0, 1.0, n_bins + 1))
    edges[0], edges[-1] = 0.0, 1.0
    return edges


def assign_bins(probs: FloatArray, edges: FloatArray) -> IntArray:
    """Bin index of each probability. Bins are right-closed, (lo, hi], except the first, which is [0, hi]."""
    return np.searchsorted(edges[1:-1], probs, side="left").astype(np.intp)


def _binned(
    probs: ArrayLike, correct: ArrayLike, n_bins: int, strategy: str
) -> tuple[FloatArray, FloatArray, IntArray, float]:
    """Checked probabilities, outcome - probability per item, each item's bin, and the ECE."""
    p, y = _inputs(probs, correct)
    check_choice(strategy, "strategy", ("uniform", "quantile"))
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    bins = assign_bins(p, bin_edges(p, n_bins, strategy))
    gap = y - p
    return p, gap, bins, float(np.sum(np.abs(np.bincount(bins, weights=gap, minlength=n_bins))) / p.size)


def _ece_replicates(
    draw: Callable[[int], tuple[FloatArray, IntArray]], n: int, n_bins: int, n_resamples: int
) -> FloatArray:
    """ECE of `n_resamples` replicates; `draw(r)` gives r rows of (outcome - probability, bin) for n items.

    Replicates are made in chunks of about 4M items, so memory stays bounded for any n.
    """
    out = np.empty(n_resamples)
    step = max(1, (1 << 22) // n)
    for start in range(0, n_resamples, step):
        r = min(step, n_resamples - start)
        gap, bins = draw(r)
        keys = (np.arange(r)[:, None] * n_bins + bins).ravel()
        sums = np.bincount(keys, weights=gap.ravel(), minlength=r * n_bins).reshape(r, n_bins)
        out[start : start + r] = np.abs(sums).sum(axis=1) / n
    return out


def calibration_error(
    probs: ArrayLike,
    correct: ArrayLike,
    n_bins: int = 10,
    strategy: str = "uniform",
    *,
    ci: bool = False,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> float | Estimate:
    """Expected calibration error: sum over bins of (bin share) x |accuracy - mean confidence| in the bin.

    Bins are right-closed intervals (lo, hi], the first [0, hi], so a probability on an edge falls in the
    lower bin. ``strategy="quantile"`` puts about equally many items in each bin (edges fixed from the data).
    Empty bins contribute nothing. With ``ci=True`` returns an Estimate with a percentile bootstrap interval
    over items (bins fixed). Note that ECE is biased upwards in small samples: a perfectly calibrated model
    still shows ECE > 0, and the interval describes the ECE estimator, not a test of calibration: for that,
    use `calibration_test`.

    >>> round(calibration_error([0.9, 0.9, 0.2, 0.2], [1, 0, 0, 0], n_bins=2), 6)
    0.3
    """
    p, gap, bins, value = _binned(probs, correct, n_bins, strategy)
    if not ci:
        return value
    level = check_level(level)
    rng = np.random.default_rng(seed)
    n = p.size

    def resample(r: int) -> tuple[FloatArray, IntArray]:
        idx = rng.integers(0, n, size=(r, n))
        return gap[idx], bins[idx]

    reps = _ece_replicates(resample, n, n_bins, n_resamples)
    lo, hi = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(
        value, float(np.std(reps, ddof=1)), float(lo), float(hi), n, method="bootstrap_percentile", level=level
    )


@dataclass(frozen=True)
class CalibrationTest:
    """Is the ECE larger than a perfectly calibrated model would show with the same probabilities?

    `null_mean` is the ECE that noise alone gives a calibrated model (outcomes drawn as Bernoulli(p) for the
    same p): the bias to read the observed `ece` against. `pvalue` is the share of those draws with an ECE
    at least the observed one (consistency resampling, Broecker & Smith 2007), with the +1 correction.
    """

    ece: float
    null_mean: float
    null_high: float
    pvalue: float
    n: int
    n_resamples: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def calibration_test(
    probs: ArrayLike,
    correct: ArrayLike,
    n_bins: int = 10,
    strategy: str = "uniform",
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> CalibrationTest:
    """Test perfect calibration: the observed ECE against ECEs of outcomes drawn from the model's own probabilities.

    `null_high` is the `level` quantile of the calibrated model's ECE: an observed ECE below it is within
    what noise gives. The ECE's bootstrap interval (``calibration_error(ci=True)``) describes the estimator
    and never covers 0; this test is how to ask whether a model is miscalibrated at all.

    >>> t = calibration_test([0.9] * 50 + [0.6] * 50, [1] * 50 + [0] * 50, seed=1)
    >>> t.pvalue < 0.001 and round(t.ece, 2) == 0.35
    True
    """
    p, _, bins, observed = _binned(probs, correct, n_bins, strategy)
    level = check_level(level)
    n = p.size
    rng = np.random.default_rng(seed)

    def calibrated_outcomes(r: int) -> tuple[FloatArray, IntArray]:
        return (rng.random((r, n)) < p).astype(float) - p, np.broadcast_to(bins, (r, n))

    null = _ece_replicates(calibrated_outcomes, n, n_bins, n_resamples)
    # a small tolerance so that float noise in equal ECEs counts them as ties
    pvalue = float((1 + np.sum(null >= observed - 1e-12)) / (1 + n_resamples))
    return CalibrationTest(observed, float(null.mean()), float(np.quantile(null, level)), pvalue, n, n_resamples)


def brier_score(probs: ArrayLike, correct: ArrayLike, *, ci: bool = False, level: float = 0.95) -> float | Estimate:
    """Mean squared error of the probabilities against 0/1 outcomes (lower is better; 0.25 for always 0.5).

    With ``ci=True`` returns an Estimate (t interval of the per-item squared errors, kept inside [0, 1]).

    >>> round(brier_score([0.9, 0.2], [1, 0]), 6)
    0.025
    """
    p, y = _inputs(probs, correct)
    sq = (p - y) ** 2
    if ci:
        e = mean_estimate(sq, level=level, method="t")
        # the Brier score lies in [0, 1]; a t interval on skewed squared errors can leave it
        return replace(e, ci_low=max(e.ci_low, 0.0), ci_high=min(e.ci_high, 1.0))
    return float(sq.mean())
