"""Binomial intervals against statsmodels, and their exact coverage (enumerating every k)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from assay.stats import binomial_interval, exact_coverage


@pytest.mark.parametrize(
    ("method", "sm_method"), [("wilson", "wilson"), ("clopper_pearson", "beta"), ("clt", "normal")]
)
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_matches_statsmodels(method: str, sm_method: str, level: float) -> None:
    for n in (1, 7, 30, 250):
        k = np.arange(n + 1)
        lo, hi = binomial_interval(k, n, level=level, method=method)
        slo, shi = proportion_confint(k, n, alpha=1 - level, method=sm_method)
        np.testing.assert_allclose(lo, np.clip(slo, 0, 1), atol=1e-10)
        np.testing.assert_allclose(hi, np.clip(shi, 0, 1), atol=1e-10)


def test_jeffreys_matches_statsmodels_inside_and_fixes_boundaries() -> None:
    n = 40
    k = np.arange(1, n)
    lo, hi = binomial_interval(k, n, method="jeffreys")
    slo, shi = proportion_confint(k, n, method="jeffreys")
    np.testing.assert_allclose(lo, slo, atol=1e-10)
    np.testing.assert_allclose(hi, shi, atol=1e-10)
    lo0, _ = binomial_interval(0, n, method="jeffreys")
    _, hin = binomial_interval(n, n, method="jeffreys")
    assert lo0 == 0.0 and hin == 1.0  # Brown, Cai & DasGupta's modification


@pytest.mark.parametrize("method", ["wilson", "clopper_pearson", "jeffreys", "clt"])
def test_bounds_in_unit_interval_and_ordered(method: str) -> None:
    k = np.arange(0, 11)
    lo, hi = binomial_interval(k, 10, method=method)
    assert np.all((lo >= 0) & (lo <= k / 10) & (k / 10 <= hi) & (hi <= 1))


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="n >= 1"):
        binomial_interval(0, 0)
    with pytest.raises(ValueError, match="between 0 and n"):
        binomial_interval(5, 3)
    with pytest.raises(ValueError, match="method"):
        binomial_interval(1, 3, method="agresti")
    with pytest.raises(ValueError, match="level"):
        binomial_interval(1, 3, level=95)


# Exact coverage: pointwise coverage of Wilson and Jeffreys oscillates with p (Brown, Cai & DasGupta 2001), so
# the claim we test is (a) pointwise at the named hard cases where it holds, (b) averaged over a p-grid.
@pytest.mark.parametrize(
    ("method", "p", "n"),
    [
        ("wilson", 0.05, 30),
        ("wilson", 0.05, 100),
        ("wilson", 0.1, 30),
        ("wilson", 0.9, 50),
        ("jeffreys", 0.05, 100),
        ("jeffreys", 0.1, 30),
        ("jeffreys", 0.3, 15),
        ("jeffreys", 0.9, 50),
    ],
)
def test_exact_coverage_pointwise(method: str, p: float, n: int) -> None:
    assert 0.93 <= exact_coverage(p, n, method=method) <= 0.99


@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
@pytest.mark.parametrize("n", [10, 20, 30, 50, 100])
def test_average_coverage_near_nominal(method: str, n: int) -> None:
    grid = np.linspace(0.02, 0.98, 97)
    cov = np.mean([exact_coverage(float(p), n, method=method) for p in grid])
    assert 0.93 <= cov <= 0.97


@pytest.mark.parametrize("n", [5, 10, 30, 100])
def test_clopper_pearson_never_below_nominal(n: int) -> None:
    for p in np.linspace(0.01, 0.99, 49):
        assert exact_coverage(float(p), n, method="clopper_pearson") >= 0.95 - 1e-12


def test_wald_undercovers_at_extremes_which_is_why_auto_uses_wilson() -> None:
    assert exact_coverage(0.05, 30, method="clt") < 0.85
