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
