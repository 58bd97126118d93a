"""Calibration error (ECE) and Brier score: hand-computed values, bin edge conventions, intervals."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats import Estimate, brier_score, calibration_error
from assay.stats.calibration import assign_bins, bin_edges


def _ece_loop(p: np.ndarray, y: np.ndarray, edges: np.ndarray) -> float:
    total = 0.0
    for i in range(len(edges) - 1):
        lo, hi = edges[i], edges[i + 1]
        m = (p > lo) & (p <= hi) if i > 0 else (p >= lo) & (p <= hi)
        if m.any():
            total += m.mean() * abs(y[m].mean() - p[m].mean())
    return total


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_matches_a_plain_loop(strategy: str) -> None:
    rng = np.random.default_rng(0)
    p = np.round(rng.random(2000), 2)  # many values exactly on edges
    y = (rng.random(2000) < p**1.3).astype(float)
    ece = calibration_error(p, y, n_bins=10, strategy=strategy)
    assert ece == pytest.approx(_ece_loop(p, y, bin_edges(p, 10, strategy)))


def test_bins_are_right_closed() -> None:
    edges = bin_edges(np.array([0.0]), 10, "uniform")
    assert assign_bins(np.array([0.0, 0.1, 0.1000001, 1.0]), edges).tolist() == [0, 0, 1, 9]


def test_perfect_and_worst_calibration() -> None:
    assert calibration_error([1.0, 1.0, 0.0], [1, 1, 0]) == 0.0
    assert calibration_error([1.0, 0.0], [0, 1]) == 1.0
    assert brier_score([1.0, 0.0], [0, 1]) == 1.0
    assert brier_score([0.5, 0.5], [0, 1]) == 0.25


def test_calibrated_model_has_small_ece_and_interval() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(20_000)
    y = (rng.random(20_000) < p).astype(float)
    e = calibration_error(p, y, ci=True, n_resamples=500)
    assert isinstance(e, Estimate)
    assert e.value < 0.02 and e.ci_low <= e.value <= e.ci_high
    overconfident = calibration_error(np.clip(p * 1.3, 0, 1), y)
    assert overconfident > 0.05  # type: ignore[operator]


def test_brier_ci_is_t_interval_of_squared_errors() -> None:
    p = np.array([0.9, 0.8, 0.3, 0.6])
    y = np.array([1, 0, 0, 1])
    e = brier_score(p, y, ci=True)
    assert isinstance(e, Estimate)
    assert e.value == pytest.approx(np.mean((p - y) ** 2)) and e.method == "t"


def test_errors() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        calibration_error([1.2], [1])
    with pytest.raises(ValueError, match="0/1"):
        brier_score([0.2], [0.5])
    with pytest.raises(ValueError, match="one entry per item"):
        brier_score([0.2, 0.3], [1])
    with pytest.raises(ValueError, match="n_bins"):
        calibration_error([0.2], [1], n_bins=0)
    with pytest.raises(ValueError, match="strategy"):
        calibration_error([0.2], [1], strategy="kmeans")


def test_calibration_test_matches_exact_enumeration() -> None:
    # Six items, two bins: all 2^6 outcome vectors give the exact null distribution of the ECE.
    import itertools

    from assay.stats import calibration_test

    p = np.array([0.15, 0.3, 0.4, 0.7, 0.8, 0.9])
    y = np.array([0, 1, 1, 1, 1, 0.0])
    observed = calibration_error(p, y, n_bins=2)
    exact_mean = exact_tail = 0.0
    for outcome in itertools.product([0, 1], repeat=6):
        o = np.array(outcome, dtype=float)
        weight = float(np.prod(np.where(o == 1, p, 1 - p)))
        ece = calibration_error(p, o, n_bins=2)
        exact_mean += weight * ece
        exact_tail += weight * (ece >= observed - 1e-12)
    t = calibration_test(p, y, n_bins=2, n_resamples=200_000, seed=3)
    assert t.ece == pytest.approx(observed)
    assert t.null_mean == pytest.approx(exact_mean, abs=0.003)
    assert t.pvalue == pytest.approx(exact_tail, abs=0.005)


def test_calibration_test_has_its_size_and_power() -> None:
    from assay.stats import calibration_test

    rng = np.random.default_rng(11)
    runs, n = 300, 400
    calibrated = miscalibrated = 0
    for run in range(runs):
        p = rng.beta(4, 2, n)
        calibrated += calibration_test(p, (rng.random(n) < p).astype(float), n_resamples=400, seed=run).pvalue < 0.05
        over = (rng.random(n) < p**1.6).astype(float)  # overconfident: ECE about 0.13
        miscalibrated += calibration_test(p, over, n_resamples=400, seed=run).pvalue < 0.05
    assert 0.02 <= calibrated / runs <= 0.09  # nominal 0.05
    assert miscalibrated / runs > 0.95


def test_brier_interval_stays_in_the_unit_interval() -> None:
    e = brier_score(np.full(30, 0.99), np.r_[np.ones(29), 0.0], ci=True)
    assert isinstance(e, Estimate) and e.ci_low == 0.0 < e.value < e.ci_high
