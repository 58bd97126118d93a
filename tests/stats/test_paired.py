"""Paired differences and McNemar's test against scipy/statsmodels, on simulated and real XSTest pairs."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from assay.stats import drop_difference, mcnemar, paired_difference


def test_matches_scipy_ttest_rel() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0.6, 0.2, 80)
    b = a - 0.03 + rng.normal(0, 0.1, 80)
    r = paired_difference(a, b)
    ref = sps.ttest_rel(a, b)
    assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-10)
    ci = ref.confidence_interval()
    assert (r.difference.ci_low, r.difference.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert r.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert r.variance_reduction == pytest.approx(1 - np.var(a - b, ddof=1) / (np.var(a, ddof=1) + np.var(b, ddof=1)))
    assert r.variance_reduction > 0.5  # strongly correlated models: pairing removes most of the variance


def test_xstest_pairs_clustered_by_type_match_statsmodels(xstest: dict[str, dict[str, np.ndarray]]) -> None:
    a, b = xstest["gpt4"], xstest["llama2orig"]
    assert (a["id"] == b["id"]).all()  # paired by prompt id
    d = a["comply"] - b["comply"]
    r = paired_difference(a["comply"], b["comply"], clusters=a["type"])
    codes = np.unique(a["type"], return_inverse=True)[1]
    ols = sm.OLS(d, np.ones_like(d)).fit(cov_type="cluster", cov_kwds={"groups": codes}, use_t=True)
    assert r.difference.value == pytest.approx(ols.params[0])
    assert r.difference.se == pytest.approx(ols.bse[0], rel=1e-10)
    assert r.pvalue == pytest.approx(ols.pvalues[0], rel=1e-8)
    assert (r.difference.ci_low, r.difference.ci_high) == pytest.approx(tuple(ols.conf_int()[0]), rel=1e-10)
    assert r.difference.n_clusters == 18 and r.difference.df == 17
    assert r.difference.value > 0.2 and r.pvalue < 0.01  # llama2-orig refuses far more prompts
    assert r.difference.se > paired_difference(a["comply"], b["comply"]).difference.se  # clustering costs
    text = str(r)
    assert "Paired difference" in text and "clusters" in text and "clustered_t" in text


def test_xstest_mcnemar_matches_statsmodels(xstest: dict[str, dict[str, np.ndarray]]) -> None:
    for other in ("llama2new", "mistralinstruct", "mistralguard"):
        a, b = xstest["gpt4"]["comply"], xstest[other]["comply"]
        for exact in (True, False):
            r = mcnemar(a, b, exact=exact)
            table = np.array([[np.sum((a == 1) & (b == 1)), r.n10], [r.n01, np.sum((a == 0) & (b == 0))]])
            ref = sm_mcnemar(table, exact=exact, correction=True)
            assert r.statistic == pytest.approx(ref.statistic)
            assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-10)


def test_mcnemar_counts_and_degenerate() -> None:
    r = mcnemar([1, 1, 0, 0, 1], [0, 1, 1, 0, 0])
    assert (r.n10, r.n01) == (2, 1)
    same = mcnemar([1, 0, 1], [1, 0, 1])
    assert (same.statistic, same.pvalue) == (0.0, 1.0)
    assert "McNemar" in str(same)
    with pytest.raises(ValueError, match="0/1"):
        mcnemar([0.5, 1], [0, 1])
    with pytest.raises(ValueError, match="same questions"):
        mcnemar([1, 0], [1])


def test_identical_and_constant_inputs_have_defined_answers() -> None:
    r = paired_difference([1, 0, 1, 1], [1, 0, 1, 1], method="t")
    assert (r.difference.value, r.difference.se, r.pvalue) == (0.0, 0.0, 1.0)
    bp = paired_difference([1, 0, 1, 1], [1, 0, 1, 1])  # no discordant pair: still an interval, not [0, 0]
    assert bp.difference.method == "bonett_price" and bp.difference.ci_low < 0 < bp.difference.ci_high
    assert bp.pvalue == 1.0
    shifted = paired_difference([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert shifted.pvalue == 0.0 and shifted.difference.value == 1.0
    const = paired_difference([1, 1, 1], [0, 1, 0])
    assert const.correlation is None  # undefined, said so rather than NaN


def test_errors() -> None:
    with pytest.raises(ValueError, match="align them"):
        paired_difference([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least 2"):
        paired_difference([1], [2])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), min_size=3, max_size=30))
def test_antisymmetry(pairs: list[tuple[float, float]]) -> None:
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    ab, ba = paired_difference(a, b), paired_difference(b, a)
    assert ab.difference.value == pytest.approx(-ba.difference.value, abs=1e-9)
    assert ab.pvalue == pytest.approx(ba.pvalue, abs=1e-9)
    assert 0.0 <= ab.pvalue <= 1.0


def test_bonett_price_by_hand_and_its_choice() -> None:
    a = np.array([1] * 30 + [0] * 5 + [1] * 3 + [0] * 12, dtype=float)  # 5 pairs a=0,b=1; 3 pairs a=1,b=0
    b = np.array([1] * 30 + [1] * 5 + [0] * 3 + [0] * 12, dtype=float)
    n, n10, n01 = 50, 3, 5
    p10, p01 = (n10 + 1) / (n + 2), (n01 + 1) / (n + 2)
    se = np.sqrt((p10 + p01 - (p10 - p01) ** 2) / (n + 2))
    z = sps.norm.ppf(0.975)
    r = paired_difference(a, b)
    assert r.difference.method == "bonett_price" and r.difference.value == pytest.approx((n10 - n01) / n)
    assert (r.difference.ci_low, r.difference.ci_high) == pytest.approx((p10 - p01 - z * se, p10 - p01 + z * se))
    assert r.pvalue == pytest.approx(2 * sps.norm.sf(abs(p10 - p01) / se))  # the test its interval inverts
    assert paired_difference(a, b, method="t").difference.method == "t"
    assert paired_difference(a, b, clusters=np.arange(50) // 5).difference.method == "clustered_t"
    assert paired_difference(a * 0.5, b).difference.method == "t"
    with pytest.raises(ValueError, match="0/1 scores without clusters"):
        paired_difference(a * 0.5, b, method="bonett_price")


@pytest.mark.parametrize(
    ("n", "p_a", "p_b", "rho"), [(30, 0.95, 0.9, 0.6), (50, 0.95, 0.85, 0.3), (100, 0.5, 0.45, 0.5)]
)
def test_bonett_price_coverage_beats_the_t_interval_with_few_discordant_pairs(
    n: int, p_a: float, p_b: float, rho: float
) -> None:
    rng = np.random.default_rng(n)
    reps = 2000
    # correlated pairs: a shared uniform with probability rho, independent uniforms otherwise
    shared = rng.random((reps, n))
    same = rng.random((reps, n)) < rho
    ua = np.where(same, shared, rng.random((reps, n)))
    ub = np.where(same, shared, rng.random((reps, n)))
    a, b = (ua < p_a).astype(float), (ub < p_b).astype(float)
    truth = p_a - p_b

    def coverage(method: str) -> float:
        hits = [
            (d := paired_difference(x, y, method=method).difference).ci_low <= truth <= d.ci_high
            for x, y in zip(a, b, strict=True)
        ]
        return float(np.mean(hits))

    bp = coverage("bonett_price")
    assert bp >= 0.93  # conservative (up to ~0.997) when discordant pairs are rare and the truth is 0
    if n == 30:
        assert coverage("t") < 0.9  # few discordant pairs (often none: a [0, 0] interval)


def test_bonett_price_pvalue_agrees_with_its_interval() -> None:
    # 4 discordant pairs of 60, all one way: the paired t test said p = 0.045 while this interval holds 0.
    a, b = np.r_[np.ones(4), np.zeros(56)], np.zeros(60)
    r = paired_difference(a, b)
    assert r.difference.ci_low < 0 < r.difference.ci_high and r.pvalue > 0.05
    assert sps.ttest_rel(a, b).pvalue < 0.05
    rng = np.random.default_rng(3)
    for _ in range(300):
        x, y = (rng.random(40) < 0.3).astype(float), (rng.random(40) < 0.3).astype(float)
        for level in (0.9, 0.95):
            e = paired_difference(x, y, level=level)
            assert (e.pvalue < 1 - level) == (e.difference.ci_low > 0 or e.difference.ci_high < 0)


def test_clustered_binary_agreement_keeps_an_interval() -> None:
    # two models that agree on all 40 questions (8 clusters): the clustered SE is 0, but 40 agreements do
    # not prove the accuracies equal; the SE is Bonett-Price's with no discordant pairs, sqrt(2) / (n + 2)
    a = np.array([1.0, 0.0] * 20)
    clusters = np.repeat(np.arange(8), 5)
    r = paired_difference(a, a.copy(), clusters=clusters)
    d = r.difference
    half = sps.t.ppf(0.975, 7) * np.sqrt(2) / 42
    assert d.value == 0.0 and d.se == pytest.approx(np.sqrt(2) / 42)
    assert (d.ci_low, d.ci_high) == pytest.approx((-half, half)) and r.pvalue == 1.0
    # ordinary clustered data are untouched: the SE is statsmodels' cluster-robust one
    rng = np.random.default_rng(0)
    x, y = (rng.random(200) < 0.6).astype(float), (rng.random(200) < 0.5).astype(float)
    groups = np.repeat(np.arange(20), 10)
    fit = sm.OLS(x - y, np.ones(200)).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert paired_difference(x, y, clusters=groups).difference.se == pytest.approx(fit.bse[0], rel=1e-6)


def test_drop_difference_is_a_paired_t_on_the_drops() -> None:
    rng = np.random.default_rng(8)
    ca, cb = (rng.random(150) < 0.7).astype(float), (rng.random(150) < 0.6).astype(float)
    pa, pb = np.where(rng.random(150) < 0.2, 0.0, ca), np.where(rng.random(150) < 0.05, 0.0, cb)
    r = drop_difference(ca, pa, cb, pb)
    oracle = sps.ttest_rel(ca - pa, cb - pb)
    assert r.difference.value == pytest.approx(np.mean((ca - pa) - (cb - pb)))
    assert r.pvalue == pytest.approx(oracle.pvalue) and r.difference.method == "t"
    # neither model moves: no difference, and an interval all the same
    still = drop_difference(ca, ca, cb, cb)
    assert still.difference.value == 0.0 and still.difference.ci_low < 0 < still.difference.ci_high
    assert still.pvalue == 1.0
    with pytest.raises(ValueError, match="same questions"):
        drop_difference(ca, pa[:-1], cb, pb)


def test_drop_difference_covers_the_true_difference() -> None:
    rng = np.random.default_rng(9)
    truth = 0.7 * 0.2 - 0.7 * 0.05  # a loses 20% of its right answers under the perturbation, b 5%
    hits = 0
    for _ in range(600):
        ca = (rng.random(100) < 0.7).astype(float)
        cb = np.where(rng.random(100) < 0.8, ca, (rng.random(100) < 0.7).astype(float))  # correlated models
        pa, pb = np.where(rng.random(100) < 0.2, 0.0, ca), np.where(rng.random(100) < 0.05, 0.0, cb)
        d = drop_difference(ca, pa, cb, pb).difference
        hits += d.ci_low <= truth <= d.ci_high
    assert 0.92 <= hits / 600 <= 0.975
