"""Difference of two means measured on different samples (e.g. contaminated vs clean questions).

Welch's t: SE = sqrt(SE_a^2 + SE_b^2) with Welch-Satterthwaite degrees of freedom. With clusters,
each group's SE is cluster-robust (CR1) and its degrees of freedom are its clusters - 1, combined the
same way. Use `paired_difference` instead whenever the two sets of scores are on the same questions.

Two sets of 0/1 scores without clusters get the Agresti-Caffo interval (one success and one failure
added to each group, then Wald; Agresti & Caffo 2000) and the z-test of the same adjusted difference, so
the p-value and the interval agree. Welch treats a group whose scores are all equal (0 of 30 questions
contaminated and right) as known exactly: for 0/30 vs 6/300 right it said p = 0.014, where Fisher's exact
test says 1.0, and at p = 0.02 with 30 and 300 items it rejected a true null 46% of the time. With
clusters, each 0/1 group's SE is floored at its Agresti-Coull SE for the same reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from numpy.typing import ArrayLike

from assay.stats._dist import norm_sf, t_sf
from assay.stats._validate import FloatArray, as_scores, check_level, is_binary
from assay.stats.estimate import Estimate, _t_interval, moment_interval
from assay.stats.intervals import agresti_coull_se
from assay.stats.results import fmt, table


@dataclass(frozen=True, slots=True)
class UnpairedResult:
    """`difference` is mean(a) - mean(b) with its interval; `pvalue` the two-sided test (Welch, or for 0/1
    scores without clusters the z-test of the Agresti-Caffo adjusted difference)."""

    difference: Estimate
    a: Estimate
    b: Estimate
    statistic: float
    pvalue: float

    def summary(self) -> str:
        d = self.difference
        rows = [
            ("mean a", f"{fmt(self.a.value)} (n={self.a.n})"),
            ("mean b", f"{fmt(self.b.value)} (n={self.b.n})"),
            ("difference (a - b)", fmt(d.value)),
            ("standard error", fmt(d.se)),
            (f"{100 * d.level:g}% CI", f"[{fmt(d.ci_low)}, {fmt(d.ci_high)}]"),
            ("t statistic" if d.df is not None else "z statistic", fmt(self.statistic, 3)),
            ("df (Welch)", fmt(d.df, 1) if d.df is not None else "-"),
            ("p-value (two-sided)", fmt(self.pvalue)),
        ]
        return table("Unpaired difference", rows, note=f"method: {d.method}")

    def __str__(self) -> str:
        return self.summary()


def unpaired_difference(
    a: ArrayLike,
    b: ArrayLike,
    *,
    clusters_a: ArrayLike | None = None,
    clusters_b: ArrayLike | None = None,
    level: float = 0.95,
) -> UnpairedResult:
    """Comparison of mean(a) and mean(b) from independent samples: Welch, or Agresti-Caffo for 0/1 scores.

    >>> r = unpaired_difference([1.0, 0.9, 0.7, 0.4, 1.0, 0.8], [0.0, 0.6, 0.2, 0.1, 0.7, 0.3])
    >>> round(r.difference.value, 4), round(r.pvalue, 3)
    (0.4833, 0.009)
    >>> r = unpaired_difference([0] * 30, [1] * 6 + [0] * 294)  # 0/1 scores: Agresti-Caffo
    >>> r.difference.method, round(r.pvalue, 2)
    ('agresti_caffo', 0.8)
    """
    level = check_level(level)
    x = as_scores(a, "a", min_n=2)
    y = as_scores(b, "b", min_n=2)
    ea = moment_interval(x, clusters=clusters_a, level=level, method="t")
    eb = moment_interval(y, clusters=clusters_b, level=level, method="t")
    clustered = clusters_a is not None or clusters_b is not None
    binary = is_binary(x) and is_binary(y)
    if binary and not clustered:
        return _agresti_caffo(x, y, ea, eb, level)
    value = ea.value - eb.value
    # a constant 0/1 group is not known exactly: floor its SE at the Agresti-Coull one
    se_a, se_b = (
        max(e.se, float(agresti_coull_se(v.sum(), v.size))) if binary else e.se for e, v in ((ea, x), (eb, y))
    )
    se = math.sqrt(se_a**2 + se_b**2)
    assert ea.df is not None and eb.df is not None
    if se == 0.0:  # two constant groups of non-0/1 scores
        pvalue = 1.0 if value == 0 else 0.0
        zero = Estimate(value, 0.0, value, value, x.size + y.size, method="welch_t", level=level)
        return UnpairedResult(zero, ea, eb, math.nan, pvalue)
    df = se**4 / (se_a**4 / ea.df + se_b**4 / eb.df)
    lo, hi = _t_interval(value, se, df, level)
    n_clusters = (ea.n_clusters or ea.n) + (eb.n_clusters or eb.n) if clustered else None
    method = "welch_clustered_t" if clustered else "welch_t"
    difference = Estimate(value, se, lo, hi, x.size + y.size, n_clusters=n_clusters, method=method, level=level, df=df)
    statistic = value / se
    return UnpairedResult(difference, ea, eb, statistic, float(2 * t_sf(abs(statistic), df)))


def _agresti_caffo(x: FloatArray, y: FloatArray, ea: Estimate, eb: Estimate, level: float) -> UnpairedResult:
    """Agresti-Caffo interval and z-test for the difference of two independent proportions."""
    pa, pb = (float(x.sum()) + 1) / (x.size + 2), (float(y.sum()) + 1) / (y.size + 2)
    se = math.sqrt(pa * (1 - pa) / (x.size + 2) + pb * (1 - pb) / (y.size + 2))
    adjusted = pa - pb
    lo, hi = _t_interval(adjusted, se, None, level)  # no df: the normal quantile
    lo, hi = max(-1.0, lo), min(1.0, hi)
    value = float(x.mean() - y.mean())
    difference = Estimate(value, se, lo, hi, x.size + y.size, method="agresti_caffo", level=level)
    statistic = adjusted / se
    return UnpairedResult(difference, ea, eb, statistic, float(2 * norm_sf(abs(statistic))))
