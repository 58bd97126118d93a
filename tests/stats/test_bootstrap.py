"""Bootstrap: agreement with scipy.stats.bootstrap, exactness of the multinomial fast path, clusters, memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from assay.stats import bootstrap, bootstrap_distribution, mean_estimate
from assay.stats.bootstrap import MAX_CATEGORIES


def _scipy(x: np.ndarray, stat: object, method: str) -> tuple[float, float]:
    r = sps.bootstrap((x,), stat, vectorized=True, n_resamples=20_000, method=method, rng=5)  # type: ignore[call-overload]
    return float(r.confidence_interval.low), float(r.confidence_interval.high)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_mean_matches_scipy(method: str) -> None:
    x = np.random.default_rng(0).lognormal(0, 1, 200)  # skewed, so BCa and percentile differ
    e = bootstrap(x, "mean", method=method, n_resamples=20_000, seed=1)
    lo, hi = _scipy(x, np.mean, "BCa" if method == "bca" else "percentile")
    width = hi - lo
    assert abs(e.ci_low - lo) < 0.03 * width and abs(e.ci_high - hi) < 0.03 * width
    assert e.method == f"bootstrap_{method}"


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_callable_statistic_matches_scipy(method: str) -> None:
    x = np.random.default_rng(1).exponential(1, 150)
    e = bootstrap(x, np.median, method=method, n_resamples=5000, seed=2)
    lo, hi = _scipy(x, np.median, "BCa" if method == "bca" else "percentile")
    width = hi - lo
    assert abs(e.ci_low - lo) < 0.08 * width and abs(e.ci_high - hi) < 0.08 * width
    assert e.value == pytest.approx(np.median(x))


def test_plain_callable_without_axis_works() -> None:
    x = np.random.default_rng(2).normal(size=40)
    a = bootstrap(x, lambda v: float(np.percentile(v, 75)), n_resamples=300, seed=0)
    b = bootstrap(x, lambda v, axis=-1: np.percentile(v, 75, axis=axis), n_resamples=300, seed=0)
    assert (a.ci_low, a.ci_high) == pytest.approx((b.ci_low, b.ci_high))  # same draws, loop vs vectorised


def test_multinomial_path_has_the_index_path_distribution() -> None:
    x = (np.random.default_rng(3).random(500) < 0.3).astype(float)
    _, fast = bootstrap_distribution(x, "mean", n_resamples=20_000, seed=1)
    _, slow = bootstrap_distribution(x, np.mean, n_resamples=20_000, seed=2)  # generic index resampling
    assert fast.mean() == pytest.approx(slow.mean(), abs=1e-3)
    assert fast.std() == pytest.approx(slow.std(), rel=0.03)
    assert fast.std() == pytest.approx(np.sqrt(0.3 * 0.7 / 500), rel=0.08)
    assert np.quantile(fast, [0.025, 0.975]) == pytest.approx(np.quantile(slow, [0.025, 0.975]), abs=0.004)


def test_many_distinct_values_use_index_path() -> None:
    x = np.random.default_rng(4).normal(size=MAX_CATEGORIES + 10)
    e = bootstrap(x, "mean", n_resamples=2000, seed=0)
    assert e.se == pytest.approx(x.std() / np.sqrt(x.size), rel=0.08)


def test_seeded_and_reproducible() -> None:
    x = np.random.default_rng(5).random(100)
    assert bootstrap(x, n_resamples=500, seed=3) == bootstrap(x, n_resamples=500, seed=3)
    assert bootstrap(x, n_resamples=500, seed=3) != bootstrap(x, n_resamples=500, seed=4)


def test_cluster_bootstrap_agrees_with_clustered_se() -> None:
    rng = np.random.default_rng(6)
    clusters = np.repeat(np.arange(60), 8)
    x = rng.normal(size=60)[clusters] + rng.normal(0, 0.3, clusters.size)
    b = bootstrap(x, "mean", clusters=clusters, n_resamples=5000, seed=0)
    t = mean_estimate(x, clusters=clusters)
    assert b.se == pytest.approx(t.se, rel=0.1)
    assert b.n_clusters == 60
    naive = bootstrap(x, "mean", n_resamples=5000, seed=0)
    assert naive.se < 0.6 * b.se


def test_cluster_bootstrap_callable_and_bca() -> None:
    rng = np.random.default_rng(7)
    clusters = rng.integers(0, 25, 200)
    x = rng.normal(size=25)[clusters] + rng.normal(size=200)
    fast = bootstrap(x, "mean", clusters=clusters, n_resamples=2000, seed=0, method="bca")
    slow = bootstrap(x, np.mean, clusters=clusters, n_resamples=2000, seed=0, method="bca")
    assert fast.value == pytest.approx(slow.value)
    assert fast.se == pytest.approx(slow.se, rel=0.1)
    assert fast.ci_low == pytest.approx(slow.ci_low, abs=0.1 * (slow.ci_high - slow.ci_low))


def test_memory_bounded_for_large_n() -> None:
    x = np.random.default_rng(8).normal(size=200_000)  # all distinct: index path, the memory-hungry one
    tracemalloc.start()
    bootstrap(x, "mean", n_resamples=300, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 120 * 2**20  # an n x B float matrix would be 480 MB


def test_coverage_of_percentile_bootstrap() -> None:
    rng = np.random.default_rng(9)
    data = rng.normal(0.0, 1.0, (400, 60))
    hits = [
        (e.ci_low <= 0.0 <= e.ci_high) for e in (bootstrap(r, n_resamples=1000, seed=i) for i, r in enumerate(data))
    ]
    assert 0.92 <= np.mean(hits) <= 0.97  # percentile bootstrap is slightly liberal at n = 60


def test_degenerate_and_invalid() -> None:
    e = bootstrap([3.0, 3.0, 3.0], n_resamples=100)
    assert (e.se, e.ci_low, e.ci_high) == (0.0, 3.0, 3.0)
    assert bootstrap([3.0, 3.0, 3.0], n_resamples=100, method="bca").ci_low == 3.0
    with pytest.raises(ValueError, match="at least 2 scores"):
        bootstrap([1.0])
    with pytest.raises(ValueError, match="at least 2 clusters"):
        bootstrap([1.0, 2.0], clusters=["a", "a"])
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap([1.0, 2.0], n_resamples=1)
    with pytest.raises(ValueError, match="statistic"):
        bootstrap([1.0, 2.0], "median")
    with pytest.raises(ValueError, match="method"):
        bootstrap([1.0, 2.0], method="basic")
    with pytest.raises(ValueError, match="one number"):
        bootstrap([1.0, 2.0], lambda v: np.array([1.0, 2.0]), n_resamples=10)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=30),
    st.sampled_from(["percentile", "bca"]),
)
def test_never_nan(xs: list[float], method: str) -> None:
    try:
        e = bootstrap(xs, n_resamples=200, method=method, seed=0)
    except ValueError as exc:  # BCa can be undefined (all replicates on one side): said clearly
        assert "BCa is undefined" in str(exc)
        return
    assert all(np.isfinite([e.value, e.se, e.ci_low, e.ci_high])) and e.ci_low <= e.ci_high


def test_resamples_where_the_statistic_is_undefined_are_left_out() -> None:
    # accuracy among answered items (0 = abstained, 1 = wrong, 2 = right): undefined when none is answered
    def answered_accuracy(v: np.ndarray, axis: int | None = None) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.sum(v == 2, axis=axis) / np.sum(v > 0, axis=axis))

    e = bootstrap(np.r_[2.0, 2.0, 1.0, np.zeros(12)], answered_accuracy, n_resamples=2000, seed=1)
    assert np.isfinite(e.se) and 0.0 <= e.ci_low < e.value < e.ci_high == 1.0
    with pytest.raises(ValueError, match="on the data itself"):
        bootstrap(np.zeros(30), answered_accuracy, n_resamples=2000, seed=1)

    def only_at_the_observed_count(v: np.ndarray, axis: int | None = None) -> np.ndarray:
        return np.asarray(np.where(np.sum(v, axis=axis) == 10, np.mean(v, axis=axis), np.nan))

    with pytest.raises(ValueError, match=r"undefined \(nan/inf\) in 1\d\d\d of 2000"):
        bootstrap(np.r_[np.ones(10), np.zeros(20)], only_at_the_observed_count, n_resamples=2000, seed=1)
