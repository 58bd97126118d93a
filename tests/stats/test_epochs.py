"""Epochs (K answers per item): mean of item means, SE and Miller's variance components."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats import binomial_interval, epochs_estimate, mean_estimate
from assay.stats.epochs import item_clustered_wilson
from assay.stats.intervals import wilson_limits


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
    assert r.estimate.method == "t" and r.mean_epochs == 4.0


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


# 0/1 scores: the interval is the clustered Wilson over items (items = clusters of their epochs). The old
# t interval over item means covered the mean of Beta(.1, 4.9) item probabilities (0.02) only 78-90% of the time
# and gave [0, 0] when no epoch scored.
COVERAGE_CELLS = [(a, b, n, k) for a, b in ((0.1, 4.9), (0.2, 1.8), (1.0, 1.0)) for n in (30, 100) for k in (3, 10)]


def test_binary_coverage_by_simulation() -> None:
    # 2000 runs per cell (SE of a coverage near 0.93 about 0.006); the data are drawn at once per cell and
    # each run costs one epochs_estimate call (~0.1 ms). Measured with this seed: rare (mean .02) 0.93-0.97,
    # mean .1 0.93-0.95, mean .5 0.95-0.96.
    rng = np.random.default_rng(20240601)
    runs = 2000
    for a, b, n, k in COVERAGE_CELLS:
        x = rng.beta(a, b, (runs, n))
        scores = (rng.random((runs, n, k)) < x[..., None]).astype(float)
        mu = a / (a + b)
        hits = 0
        for r in range(runs):
            e = epochs_estimate(scores[r]).estimate
            hits += e.ci_low <= mu <= e.ci_high
        coverage = hits / runs
        assert coverage >= 0.92, (a, b, n, k, coverage)
        if a == 1.0:  # a common outcome keeps the nominal level (the t interval gave 0.94-0.96 here)
            assert coverage <= 0.97, (a, b, n, k, coverage)


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_all_equal_binary_scores_do_not_collapse(value: float) -> None:
    for shape in ((30, 3), (30, 10), (5, 2)):
        e = epochs_estimate(np.full(shape, value)).estimate
        assert e.method == "clustered_wilson" and e.value == value and e.se == 0.0
        assert 0.0 <= e.ci_low <= value <= e.ci_high <= 1.0
        assert e.ci_high - e.ci_low > 0.05
        # the design effect cannot be estimated, so the items count once each (deff = K), not K times:
        # the interval is Wilson's on the n items, wider than for n * K independent scores
        lo, hi = binomial_interval(int(value * shape[0]), shape[0])
        assert (e.ci_low, e.ci_high) == pytest.approx((float(lo), float(hi)), abs=1e-12)
    ragged = epochs_estimate([[0, 0, 0], [0], [0, 0]]).estimate
    assert ragged.ci_low == 0.0 and ragged.ci_high > 0.3


def test_one_epoch_per_item_is_plain_wilson() -> None:
    # oracle: with K = 1 there is nothing to cluster, so the clustered Wilson equals Wilson's interval
    rng = np.random.default_rng(3)
    cases = [(rng.random(n) < p).astype(float) for n, p in ((40, 0.3), (12, 0.5), (200, 0.03), (25, 0.9))]
    cases += [np.zeros(20), np.ones(20), np.eye(1, 30).ravel(), 1 - np.eye(1, 30).ravel()]
    for x in cases:
        e = mean_estimate(x, method="wilson")
        lo, hi = item_clustered_wilson(x[:, None])
        assert (lo, hi) == pytest.approx((e.ci_low, e.ci_high), abs=1e-9)


def test_binary_interval_keeps_point_estimate_and_se() -> None:
    # the interval changes; the value (items weighted equally, also for ragged rows), se, df, n and the
    # variance components stay those of the t interval over item means
    ragged = [[1, 0, 1], [0, 0], [1, 1, 1, 1], [0], [1, 0, 0, 0], [0, 1]]
    r = epochs_estimate(ragged)
    item_means = np.array([np.mean(row) for row in ragged])
    t = mean_estimate(item_means, method="t")
    e = r.estimate
    assert (e.value, e.se, e.df, e.n, e.n_clusters) == pytest.approx((t.value, t.se, t.df, t.n, None))
    assert e.method == "clustered_wilson" and "clustered_wilson" in str(r)
    assert 0.0 <= e.ci_low < e.value < e.ci_high <= 1.0
    # equal epochs, every item mean 0.5: the design effect is 1 (truncated) and the interval Wilson's on the
    # n * K scores, widened only by Korn and Graubard's degrees-of-freedom factor
    m = np.array([[1, 0, 1, 0]] * 10 + [[1, 1, 0, 0]] * 10, dtype=float)
    e = epochs_estimate(m).estimate
    narrow, wide = wilson_limits(0.5, 80, 0.95), wilson_limits(0.5, 20, 0.95)  # n * K and n scores
    assert wide[0] < e.ci_low < narrow[0] and narrow[1] < e.ci_high < wide[1]
