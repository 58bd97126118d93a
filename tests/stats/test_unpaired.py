import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from assay.stats import unpaired_difference


def test_matches_scipy_welch() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0.3, 1.0, 40)
    b = rng.normal(0.0, 2.0, 70)
    r = unpaired_difference(a, b)
    oracle = sps.ttest_ind(a, b, equal_var=False)
    assert r.difference.value == pytest.approx(a.mean() - b.mean())
    assert r.statistic == pytest.approx(oracle.statistic)
    assert r.pvalue == pytest.approx(oracle.pvalue)
    ci = oracle.confidence_interval(0.95)
    assert (r.difference.ci_low, r.difference.ci_high) == pytest.approx((ci.low, ci.high))


def test_clustered_groups_use_cluster_robust_se() -> None:
    rng = np.random.default_rng(1)
    ca = np.repeat(np.arange(12), 5)
    a = np.repeat(rng.normal(size=12), 5) + rng.normal(size=60)
    b = rng.normal(size=50)
    r = unpaired_difference(a, b, clusters_a=ca)
    se_a = sm.OLS(a, np.ones(60)).fit(cov_type="cluster", cov_kwds={"groups": ca}).bse[0]
    assert r.a.se == pytest.approx(se_a)
    assert r.difference.se == pytest.approx(np.hypot(se_a, b.std(ddof=1) / np.sqrt(50)))
    assert r.difference.method == "welch_clustered_t"


def test_identical_constant_groups() -> None:
    r = unpaired_difference([1, 1, 1], [1, 1])
    assert r.difference.value == 0 and r.pvalue == 1.0


def test_coverage_by_simulation() -> None:
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(2000):
        a = rng.normal(0.0, 1.0, 8)
        b = rng.normal(0.0, 3.0, 15)
        d = unpaired_difference(a, b).difference
        hits += d.ci_low <= 0.0 <= d.ci_high
    assert 0.93 <= hits / 2000 <= 0.97
