"""Cluster-robust standard error of a mean (Miller 2024, "Adding Error Bars to Evals", eq. for SE_clustered).

When questions share a context (several questions on one passage), their scores are correlated and the naive
standard error is too small. The clustered SE sums residuals within each cluster before squaring:

    SE^2 = c / n^2 * sum_g ( sum_{i in g} (s_i - mean) )^2

with the CR1 small-sample factor c = G / (G - 1) (``correction="cr1"``, the default) or c = 1
(``correction="none"``, Miller's formula as printed). This equals statsmodels' ``OLS(y, ones).fit(
cov_type="cluster")`` whose default correction is G/(G-1) * (N-1)/(N-K) and K = 1 here. Intervals use a t
distribution on G - 1 degrees of freedom, as statsmodels does with ``use_t=True``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._validate import FloatArray, IntArray, as_clusters, as_scores, check_choice

CORRECTIONS = ("cr1", "none")


@dataclass(frozen=True, slots=True)
class ClusteredSE:
    """The clustered mean, its standard error, the number of clusters and the t degrees of freedom (G - 1)."""

    mean: float
    se: float
    n: int
    n_clusters: int
    df: int


def cluster_sums(x: FloatArray, codes: IntArray, n_clusters: int) -> tuple[FloatArray, FloatArray]:
    """Per-cluster sums of `x` and per-cluster counts."""
    sums = np.bincount(codes, weights=x, minlength=n_clusters).astype(float)
    counts = np.bincount(codes, minlength=n_clusters).astype(float)
    return sums, counts


def clustered_se(scores: ArrayLike, clusters: ArrayLike, *, correction: str = "cr1") -> ClusteredSE:
    """Cluster-robust SE of the mean of `scores`, clustered by the labels in `clusters`.

    >>> r = clustered_se([1, 0, 1, 1, 0, 0], ["a", "a", "b", "b", "c", "c"])
    >>> r.n_clusters, r.df, round(r.se, 4)
    (3, 2, 0.2887)
    """
    check_choice(correction, "correction", CORRECTIONS)
    x = as_scores(scores)
    codes, g = as_clusters(clusters, x.size)
    if g < 2:
        raise ValueError(
            f"a clustered standard error needs at least 2 clusters, got {g}; with one cluster the between-"
            "cluster variance cannot be estimated (drop `clusters` or collect data from more clusters)"
        )
    mean = float(x.mean())
    resid_sums = np.bincount(codes, weights=x - mean, minlength=g)
    factor = g / (g - 1) if correction == "cr1" else 1.0
    se = float(np.sqrt(factor * np.sum(resid_sums**2)) / x.size)
    return ClusteredSE(mean=mean, se=se, n=int(x.size), n_clusters=g, df=g - 1)


def design_effect(scores: ArrayLike, clusters: ArrayLike) -> float:
    """Ratio of the clustered (no correction) to the naive (1/n) variance of the mean: how much clustering costs.

    >>> round(design_effect([1, 1, 0, 0], ["a", "a", "b", "b"]), 6)
    2.0
    """
    x = as_scores(scores, min_n=2)
    c = clustered_se(x, clusters, correction="none")
    naive_var = float(np.mean((x - x.mean()) ** 2)) / x.size
    if naive_var == 0.0:
        raise ValueError("design_effect is undefined when all scores are equal (both variances are zero)")
    return c.se**2 / naive_var
