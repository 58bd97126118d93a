"""Clustered SE against statsmodels OLS(y ~ 1, cov_type="cluster"), on simulated and real (XSTest) data."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from assay.stats import clustered_se, design_effect, mean_estimate


def _ols(y: np.ndarray, groups: np.ndarray, correction: bool = True) -> sm.regression.linear_model.RegressionResults:
    codes = np.unique(groups, return_inverse=True)[1]
    return sm.OLS(y, np.ones_like(y)).fit(
        cov_type="cluster", cov_kwds={"groups": codes, "use_correction": correction}, use_t=True
    )


@pytest.mark.parametrize("seed", range(5))
def test_matches_statsmodels_on_random_clusters(seed: int) -> None:
    rng = np.random.default_rng(seed)
    g = rng.integers(3, 40)
    clusters = rng.integers(0, g, 300)
    y = rng.normal(size=300) + rng.normal(size=g)[clusters]
    r = _ols(y, clusters)
    c = clustered_se(y, clusters)
    assert c.se == pytest.approx(r.bse[0], rel=1e-10)
    assert c.df == r.df_resid_inference == np.unique(clusters).size - 1
    e = mean_estimate(y, clusters=clusters)
    lo, hi = r.conf_int()[0]
    assert (e.ci_low, e.ci_high) == pytest.approx((lo, hi), rel=1e-10)
    assert e.method == "clustered_t" and e.df == c.df and e.n_clusters == c.n_clusters


def test_no_correction_is_millers_formula() -> None:
    rng = np.random.default_rng(7)
    clusters = rng.integers(0, 12, 100)
    y = rng.random(100)
    r = _ols(y, clusters, correction=False)
    assert clustered_se(y, clusters, correction="none").se == pytest.approx(r.bse[0], rel=1e-10)
    resid = np.bincount(clusters, weights=y - y.mean())
    assert clustered_se(y, clusters, correction="none").se == pytest.approx(np.sqrt(np.sum(resid**2)) / y.size)
    assert mean_estimate(y, clusters=clusters, correction="none").method == "clustered_t_nocorr"


def test_xstest_compliance_clustered_by_prompt_type(xstest: dict[str, dict[str, np.ndarray]]) -> None:
    for model, d in xstest.items():
        r = _ols(d["comply"], d["type"])
        e = mean_estimate(d["comply"], clusters=d["type"])
        assert e.se == pytest.approx(r.bse[0], rel=1e-10), model
        assert e.n_clusters == 18 and e.df == 17
        naive = mean_estimate(d["comply"], method="t")
        assert e.se > naive.se  # prompt types differ a lot in compliance: clustering widens the interval


def test_singleton_clusters_equal_hc1_like_naive_se() -> None:
    y = np.random.default_rng(3).random(50)
    c = clustered_se(y, np.arange(50))
    # with one score per cluster, CR1 = n/(n-1) * sum(e^2)/n^2 = the usual s^2/n
    assert c.se == pytest.approx(y.std(ddof=1) / np.sqrt(50))


def test_one_cluster_raises_clearly() -> None:
    with pytest.raises(ValueError, match="at least 2 clusters"):
        clustered_se([1.0, 2.0, 3.0], ["a", "a", "a"])


def test_bad_cluster_labels() -> None:
    with pytest.raises(ValueError, match="one label per score"):
        clustered_se([1.0, 2.0], ["a"])
    with pytest.raises(ValueError, match="None"):
        clustered_se([1.0, 2.0], np.array(["a", None], dtype=object))
    with pytest.raises(ValueError, match="correction"):
        clustered_se([1.0, 2.0], ["a", "b"], correction="cr3")


def test_design_effect() -> None:
    assert design_effect([1, 1, 0, 0], ["a", "a", "b", "b"]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="all scores are equal"):
        design_effect([1, 1, 1, 1], ["a", "a", "b", "b"])


# --- clustered Wilson (Kott & Carr 1997 effective n, Korn & Graubard 1998 df factor) for 0/1 scores -----------


def _beta_binomial_clusters(rng: np.random.Generator, reps: int, g: int, m: int, p: float, icc: float) -> np.ndarray:
    a, b = p * (1 - icc) / icc, (1 - p) * (1 - icc) / icc
    rates = rng.beta(a, b, (reps, g))
    return (rng.random((reps, g * m)) < np.repeat(rates, m, axis=1)).astype(float)


def test_clustered_wilson_is_wilson_on_the_effective_sample_size() -> None:
    from scipy import stats as sps
    from statsmodels.stats.proportion import proportion_confint

    rng = np.random.default_rng(11)
    clusters = np.repeat(np.arange(12), 9)
    y = (rng.random(108) < np.repeat(rng.uniform(0.1, 0.9, 12), 9)).astype(float)
    e = mean_estimate(y, clusters=clusters)
    r = _ols(y, clusters)
    p, n = y.mean(), y.size
    deff = r.bse[0] ** 2 / (p * (1 - p) / n)
    assert deff > 1
    n_eff = n / deff * (sps.t.ppf(0.975, n - 1) / sps.t.ppf(0.975, 11)) ** 2
    lo, hi = proportion_confint(p * n_eff, n_eff, alpha=0.05, method="wilson")
    assert (e.ci_low, e.ci_high) == pytest.approx((lo, hi), rel=1e-9)
    assert e.method == "clustered_wilson" and e.se == pytest.approx(r.bse[0], rel=1e-10) and e.df == 11


def test_clustered_wilson_never_narrower_than_design_effect_one_and_not_empty_at_the_boundary() -> None:
    clusters = np.repeat(np.arange(6), 5)
    alike = mean_estimate(np.zeros(30), clusters=clusters)
    assert alike.ci_low == 0.0 and alike.ci_high > 0.1  # the t interval would be [0, 0]
    assert mean_estimate(np.zeros(30), clusters=clusters, method="t").ci_high == 0.0
    y = np.tile([1.0, 0.0], 15)  # every cluster is split evenly: clustered variance below binomial
    independent_like = mean_estimate(y, clusters=clusters)
    plain = mean_estimate(y, method="wilson")
    assert independent_like.ci_high - independent_like.ci_low >= plain.ci_high - plain.ci_low


@pytest.mark.parametrize(("g", "p"), [(5, 0.05), (10, 0.05), (10, 0.5), (30, 0.2)])
def test_clustered_wilson_coverage_where_the_clustered_t_fails(g: int, p: float) -> None:
    rng = np.random.default_rng(g * 100 + int(p * 100))
    x = _beta_binomial_clusters(rng, 1000, g, 8, p, icc=0.3)
    clusters = np.repeat(np.arange(g), 8)

    def coverage(method: str) -> float:
        return float(
            np.mean([(e := mean_estimate(row, clusters=clusters, method=method)).ci_low <= p <= e.ci_high for row in x])
        )

    wilson = coverage("clustered_wilson")
    assert 0.93 <= wilson <= 0.995
    if p == 0.05:
        assert coverage("t") < 0.9  # the clustered t interval undercovers rare outcomes with few clusters
