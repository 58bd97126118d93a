"""Difference of two means measured on different samples (e.g. contaminated vs clean questions).

Welch's t: SE = sqrt(SE_a^2 + SE_b^2) with Welch-Satterthwaite degrees of freedom. With clusters,
each group's SE is cluster-robust (CR1) and its degrees of freedom are its clusters - 1, combined the
same way. Use `paired_difference` instead whenever the two sets of scores are on the same questions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from numpy.typing import ArrayLike

from assay.stats._dist import t_sf
from assay.stats._validate import as_scores, check_level
from assay.stats.estimate import Estimate, _t_interval, moment_interval
from assay.stats.results import fmt, table


@dataclass(frozen=True, slots=True)
class UnpairedResult:
    """`difference` is mean(a) - mean(b) with its interval; `pvalue` the two-sided Welch test."""

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
            ("t statistic", fmt(self.statistic, 3)),
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
    """Welch comparison of mean(a) and mean(b) from independent samples.

    >>> r = unpaired_difference([1, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 0])
    >>> round(r.difference.value, 4), round(r.pvalue, 3)
    (0.5, 0.094)
    """
    level = check_level(level)
    x = as_scores(a, "a", min_n=2)
    y = as_scores(b, "b", min_n=2)
    ea = moment_interval(x, clusters=clusters_a, level=level, method="t")
    eb = moment_interval(y, clusters=clusters_b, level=level, method="t")
    value = ea.value - eb.value
    se = math.sqrt(ea.se**2 + eb.se**2)
    assert ea.df is not None and eb.df is not None
    if se == 0.0:
        pvalue = 1.0 if value == 0 else 0.0
        return UnpairedResult(
            Estimate(value, 0.0, value, value, x.size + y.size, method="welch_t"), ea, eb, math.nan, pvalue
        )
    df = se**4 / (ea.se**4 / ea.df + eb.se**4 / eb.df)
    lo, hi = _t_interval(value, se, df, level)
    clustered = clusters_a is not None or clusters_b is not None
    n_clusters = (ea.n_clusters or ea.n) + (eb.n_clusters or eb.n) if clustered else None
    method = "welch_clustered_t" if clustered else "welch_t"
    difference = Estimate(value, se, lo, hi, x.size + y.size, n_clusters=n_clusters, method=method, level=level, df=df)
    statistic = value / se
    return UnpairedResult(difference, ea, eb, statistic, float(2 * t_sf(abs(statistic), df)))
