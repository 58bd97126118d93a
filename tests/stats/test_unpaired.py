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
    r = unpaired_difference([2.5, 2.5, 2.5], [2.5, 2.5], level=0.9)
    assert r.difference.value == 0 and r.pvalue == 1.0 and r.difference.level == 0.9
    ones = unpaired_difference([1, 1, 1], [1, 1]).difference  # 0/1: not known exactly from 5 scores
    assert ones.value == 0 and ones.ci_low < -0.3 and ones.ci_high > 0.3


def test_binary_scores_match_statsmodels_agresti_caffo() -> None:
    from statsmodels.stats.proportion import confint_proportions_2indep

    a, b = [1] * 7 + [0] * 23, [1] * 30 + [0] * 270
    r = unpaired_difference(a, b, level=0.9)
    low, high = confint_proportions_2indep(7, 30, 30, 300, method="agresti-caffo", alpha=0.1)
    assert r.difference.method == "agresti_caffo" and r.difference.value == pytest.approx(7 / 30 - 0.1)
    assert (r.difference.ci_low, r.difference.ci_high) == pytest.approx((low, high))
    assert (r.pvalue < 0.1) == (r.difference.ci_low > 0)  # the test and the interval agree


def test_binary_unbalanced_groups_keep_their_size_exactly() -> None:
    # Exact size at a common rate of 0.02 with 30 vs 300 items (a small contaminated set against the rest),
    # enumerating every pair of counts: Welch, which treats an all-0 group as known, rejected 46% of the time.
    from scipy.stats import binom

    na, nb, p = 30, 300, 0.02
    wa, wb = binom.pmf(np.arange(na + 1), na, p), binom.pmf(np.arange(nb + 1), nb, p)
    size = coverage = 0.0
    for ka in range(na + 1):
        for kb in range(nb + 1):
            if wa[ka] * wb[kb] < 1e-12:
                continue
            r = unpaired_difference([1] * ka + [0] * (na - ka), [1] * kb + [0] * (nb - kb))
            size += wa[ka] * wb[kb] * (r.pvalue < 0.05)
            coverage += wa[ka] * wb[kb] * (r.difference.ci_low <= 0 <= r.difference.ci_high)
    assert size <= 0.06 and coverage >= 0.94


def test_clustered_binary_group_of_zeros_has_a_floor() -> None:
    zeros = unpaired_difference([0] * 40, [1] * 8 + [0] * 32, clusters_a=np.repeat(np.arange(8), 5))
    assert zeros.difference.method == "welch_clustered_t" and zeros.a.se == 0
    assert zeros.difference.se > 0.06 and 0.001 < zeros.pvalue < 0.05  # Fisher exact p: 0.005


def test_coverage_by_simulation() -> None:
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(2000):
        a = rng.normal(0.0, 1.0, 8)
        b = rng.normal(0.0, 3.0, 15)
        d = unpaired_difference(a, b).difference
        hits += d.ci_low <= 0.0 <= d.ci_high
    assert 0.93 <= hits / 2000 <= 0.97
