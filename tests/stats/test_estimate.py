"""mean_estimate and Estimate: methods, auto choice, degenerate inputs, coverage simulations and invariances."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from assay.stats import Estimate, mean_estimate


def test_estimate_round_trips_through_json() -> None:
    e = mean_estimate([0.2, 0.4, 0.9, 0.5], clusters=["a", "a", "b", "c"])
    back = Estimate.from_dict(json.loads(json.dumps(e.to_dict())))
    assert back == e
    old = {"value": 0.5, "se": 0.1, "ci_low": 0.3, "ci_high": 0.7, "n": 10, "n_clusters": None, "method": "t"}
    assert Estimate.from_dict(old).df is None  # results.json written before `df` existed still loads


def test_str_is_readable() -> None:
    s = str(mean_estimate([1, 0, 1, 1]))
    assert s == "0.7500 (SE 0.2165; 95% CI [0.3006, 0.9544]; n=4; wilson)"
    assert "3 clusters" in str(mean_estimate([1.0, 2, 3, 4, 5, 6], clusters=[1, 1, 2, 2, 3, 3]))


def test_t_matches_scipy() -> None:
    x = np.random.default_rng(0).normal(3, 2, 25)
    e = mean_estimate(x, method="t", level=0.9)
    lo, hi = sps.t.interval(0.9, 24, loc=x.mean(), scale=sps.sem(x))
    assert (e.ci_low, e.ci_high) == pytest.approx((lo, hi))
    assert e.se == pytest.approx(sps.sem(x)) and e.df == 24 and e.level == 0.9


def test_clt_uses_normal_quantile() -> None:
    x = np.arange(10.0)
    e = mean_estimate(x, method="clt")
    assert e.ci_high - e.value == pytest.approx(1.959964 * sps.sem(x), rel=1e-6)
    assert e.df is None


def test_auto_choices_are_recorded() -> None:
    assert mean_estimate([0, 1, 1]).method == "wilson"
    assert mean_estimate([0.5, 1, 1]).method == "t"
    assert mean_estimate([0, 1, 1, 0], clusters=[1, 1, 2, 2]).method == "clustered_wilson"
    assert mean_estimate([0.5, 1, 1, 0], clusters=[1, 1, 2, 2]).method == "clustered_t"
    assert mean_estimate([0, 1, 1, 0], method="bootstrap", n_resamples=200).method == "bootstrap_percentile"


@pytest.mark.parametrize("method", ["wilson", "clopper_pearson", "jeffreys", "t", "clt"])
def test_binary_intervals_clipped(method: str) -> None:
    e = mean_estimate([1, 1, 1, 1, 0], method=method)
    assert 0.0 <= e.ci_low <= e.value <= e.ci_high <= 1.0


def test_all_equal_scores() -> None:
    e = mean_estimate([2.5] * 5)
    assert (e.value, e.se, e.ci_low, e.ci_high) == (2.5, 0.0, 2.5, 2.5)
    w = mean_estimate([1] * 20)  # all correct: Wilson still says how unsure we are
    assert w.ci_high == 1.0 and 0.8 < w.ci_low < 0.85


def test_single_score() -> None:
    e = mean_estimate([0.3])
    assert e.method == "none (n=1)" and math.isnan(e.se)  # explicit, not silent
    assert mean_estimate([1]).method == "wilson"  # one binary score still has a Wilson interval
    with pytest.raises(ValueError, match="at least 2 scores"):
        mean_estimate([0.3], method="t")


def test_clear_errors() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        mean_estimate([])
    with pytest.raises(ValueError, match="non-finite"):
        mean_estimate([1.0, float("nan")])
    with pytest.raises(ValueError, match="0/1 scores"):
        mean_estimate([0.5, 1.0], method="wilson")
    with pytest.raises(ValueError, match="independent"):
        mean_estimate([0, 1], clusters=[1, 2], method="wilson")
    with pytest.raises(ValueError, match="method"):
        mean_estimate([1.0, 2.0], method="wald")
    with pytest.raises(ValueError, match="one-dimensional"):
        mean_estimate([[1.0, 2.0]])
    with pytest.raises(ValueError, match="level"):
        mean_estimate([1.0, 2.0], level=1.5)


# --- coverage simulations (seeded; vectorised data generation) -------------------------------------------------


def _coverage(samples: np.ndarray, truth: float, **kw: object) -> float:
    hits = [e.ci_low <= truth <= e.ci_high for e in (mean_estimate(row, **kw) for row in samples)]  # type: ignore[arg-type]
    return float(np.mean(hits))


@pytest.mark.parametrize("n", [5, 10, 30])
def test_t_coverage_small_normal_samples(n: int) -> None:
    rng = np.random.default_rng(n)
    assert 0.93 <= _coverage(rng.normal(1.0, 2.0, (2000, n)), 1.0, method="t") <= 0.97


@pytest.mark.parametrize(
    ("method", "p", "n"), [("wilson", 0.05, 100), ("jeffreys", 0.05, 200), ("jeffreys", 0.15, 40), ("wilson", 0.5, 20)]
)
def test_binary_coverage_simulated(method: str, p: float, n: int) -> None:
    rng = np.random.default_rng(1)
    x = (rng.random((2000, n)) < p).astype(float)
    assert 0.93 <= _coverage(x, p, method=method) <= 0.97


def test_clopper_pearson_conservative_simulated() -> None:
    rng = np.random.default_rng(2)
    x = (rng.random((2000, 30)) < 0.05).astype(float)
    assert _coverage(x, 0.05, method="clopper_pearson") >= 0.93


def test_clustered_t_coverage_with_strong_intra_cluster_correlation() -> None:
    rng = np.random.default_rng(3)
    reps, g, m = 1500, 30, 10
    clusters = np.repeat(np.arange(g), m)
    effects = rng.normal(0, 1.0, (reps, g))[:, clusters]  # ICC = 1 / (1 + 0.25) = 0.8
    x = effects + rng.normal(0, 0.5, (reps, g * m))
    assert 0.93 <= _coverage(x, 0.0, clusters=clusters) <= 0.97
    naive = _coverage(x[:300], 0.0, method="t")
    assert naive < 0.6  # ignoring the clusters is badly overconfident


# --- properties -----------------------------------------------------------------------------------------------

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=2, max_size=40), st.randoms(use_true_random=False))
def test_shuffle_invariance(xs: list[float], rnd: object) -> None:
    ys = list(xs)
    rnd.shuffle(ys)  # type: ignore[attr-defined]
    a, b = mean_estimate(xs), mean_estimate(ys)
    assert a.method == b.method
    for f in ("value", "se", "ci_low", "ci_high"):
        assert getattr(a, f) == pytest.approx(getattr(b, f), rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=2, max_size=40), st.floats(0.01, 100))
def test_scaling_scales_value_and_se(xs: list[float], c: float) -> None:
    a = mean_estimate(xs, method="t")
    b = mean_estimate(np.asarray(xs) * c, method="t")
    assert b.value == pytest.approx(c * a.value, rel=1e-9, abs=1e-9)
    assert b.se == pytest.approx(c * a.se, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=50),
    st.sampled_from(["auto", "wilson", "jeffreys", "clopper_pearson"]),
)
def test_binary_never_nan_and_inside_unit_interval(xs: list[float], method: str) -> None:
    e = mean_estimate(xs, method=method)
    assert all(math.isfinite(v) for v in (e.value, e.se, e.ci_low, e.ci_high))
    assert 0.0 <= e.ci_low <= e.value <= e.ci_high <= 1.0


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=4, max_size=30), st.integers(2, 4))
def test_clustered_never_nan(xs: list[float], g: int) -> None:
    clusters = np.arange(len(xs)) % g
    e = mean_estimate(xs, clusters=clusters)
    assert all(math.isfinite(v) for v in (e.value, e.se, e.ci_low, e.ci_high))
    assert e.ci_low <= e.value <= e.ci_high
