"""Epochs (K answers per item): mean of item means, SE and Miller's variance components."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats import epochs_estimate, mean_estimate


def test_recovers_variance_components_by_simulation() -> None:
    rng = np.random.default_rng(0)
    n, k = 4000, 5
    x = rng.beta(2, 2, n)  # Var = 1/20 = 0.05
    scores = (rng.random((n, k)) < x[:, None]).astype(float)
    r = epochs_estimate(scores)
    assert r.between_var == pytest.approx(0.05, rel=0.1)
    assert r.within_var == pytest.approx(np.mean(x * (1 - x)), rel=0.05)  # E[x(1-x)] = 0.2
    assert r.estimate.se == pytest.approx(np.sqrt((r.between_var + r.within_var / k) / n), rel=0.05)
    assert r.se_for_epochs(1) > r.estimate.se > r.se_for_epochs(50)


def test_equals_t_interval_over_item_means() -> None:
    m = np.random.default_rng(1).random((30, 4))
    r = epochs_estimate(m)
    e = mean_estimate(m.mean(axis=1), method="t")
    assert (r.estimate.value, r.estimate.se, r.estimate.ci_low) == pytest.approx((e.value, e.se, e.ci_low))
    assert r.mean_epochs == 4.0


def test_ragged_lists_and_nan_agree() -> None:
    ragged = [[1, 0, 1], [0, 0], [1, 1, 1, 1], [0]]
    padded = np.array([[1, 0, 1, np.nan], [0, 0, np.nan, np.nan], [1, 1, 1, 1], [0, np.nan, np.nan, np.nan]])
    a, b = epochs_estimate(ragged), epochs_estimate(padded)
    assert a.estimate == b.estimate and a.within_var == b.within_var
    assert a.estimate.ci_low >= 0.0 and a.estimate.ci_high <= 1.0
    assert "Epochs estimate" in str(a)


def test_errors() -> None:
    with pytest.raises(ValueError, match="single epoch"):
        epochs_estimate([[1.0], [0.0]])
    with pytest.raises(ValueError, match="at least 2 items"):
        epochs_estimate([[1.0, 0.0]])
    with pytest.raises(ValueError, match="no scores"):
        epochs_estimate(np.array([[1.0, 0.0], [np.nan, np.nan]]))
    with pytest.raises(ValueError, match="items x epochs"):
        epochs_estimate(np.array([1.0, 2.0]))
