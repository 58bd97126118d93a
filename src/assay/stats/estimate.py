"""`Estimate`, the one form in which a metric leaves `assay.stats`, and `mean_estimate`, the mean with its interval."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from numpy.typing import ArrayLike

from assay.stats._dist import norm_ppf, t_ppf
from assay.stats._validate import FloatArray, as_scores, check_choice, check_level, is_binary
from assay.stats.clustered import clustered_se
from assay.stats.intervals import binomial_interval, wilson_limits

MEAN_METHODS = ("auto", "clt", "t", "wilson", "clopper_pearson", "jeffreys", "clustered_wilson", "bootstrap")
BINARY_METHODS = ("wilson", "clopper_pearson", "jeffreys")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its standard error and confidence interval.

    `method` names how the interval was made (``t``, ``clt``, ``wilson``, ``clopper_pearson``, ``jeffreys``,
    ``clustered_t``, ``clustered_clt``, ``clustered_wilson``, ``bootstrap_percentile``, ``bootstrap_bca``,
    ``bootstrap_max_t`` (gaps, see `assay.stats.gaps`); a ``_nocorr`` suffix marks a clustered SE without
    the CR1 factor). `df` is the degrees of freedom of a t interval (and of the clustered Wilson's cluster
    count), else None.
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_clusters: int | None = None
    method: str = "t"
    level: float = 0.95
    df: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Estimate:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    @property
    def half_width(self) -> float:
        """Half the width of the interval (the "±" to print)."""
        return (self.ci_high - self.ci_low) / 2

    def __str__(self) -> str:
        size = f"n={self.n}" + (f", {self.n_clusters} clusters" if self.n_clusters is not None else "")
        pct = f"{100 * self.level:g}%"
        return (
            f"{self.value:.4f} (SE {self.se:.4f}; {pct} CI [{self.ci_low:.4f}, {self.ci_high:.4f}]; "
            f"{size}; {self.method})"
        )


def _t_interval(value: float, se: float, df: float | None, level: float) -> tuple[float, float]:
    q = float(norm_ppf(0.5 + level / 2)) if df is None else float(t_ppf(0.5 + level / 2, df))
    return value - q * se, value + q * se


def mean_estimate(
    scores: ArrayLike,
    *,
    clusters: ArrayLike | None = None,
    level: float = 0.95,
    method: str = "auto",
    correction: str = "cr1",
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Estimate:
    """The mean of `scores` with its standard error and a confidence interval.

    Methods:

    - ``t``: Student t on n-1 df with SE = sd(ddof=1)/sqrt(n). With `clusters`: Miller's (2024) clustered SE,
      CR1-corrected by default (`correction="none"` for Miller's formula as printed), t on G-1 df.
    - ``clt``: the same SE with a normal quantile (Miller's CLT interval).
    - ``wilson``, ``clopper_pearson``, ``jeffreys``: binomial intervals for 0/1 scores (not with clusters);
      `se` is then sqrt(p(1-p)/n).
    - ``clustered_wilson``: for 0/1 scores with `clusters`: Wilson's interval on the effective sample size
      n / deff, deff = clustered variance / binomial variance, at least 1 (Kott and Carr 1997), shrunk for
      the cluster count by Korn and Graubard's (1998) factor (t_{n-1} / t_{G-1})^2. Unlike the clustered t
      interval it does not collapse to zero width when every score is 0 or 1, and it covers better than the
      clustered t, clt or cluster bootstrap for rare outcomes and few clusters. Its limit: the design effect is
      estimated from the same sample, so with rare outcomes in large, strongly correlated clusters (p = 0.02,
      ICC 0.3, 10-50 clusters of 10-50) coverage is 57-85%; and when every score is equal the design effect
      cannot be estimated and is taken as 1 (Korn and Graubard's convention). `se` is the clustered SE;
      `df` = G - 1.
    - ``bootstrap``: percentile bootstrap (cluster bootstrap with `clusters`), `n_resamples`, `seed`.
    - ``auto``: clustered Wilson for 0/1 scores with clusters, clustered t for other scores with clusters;
      Wilson for 0/1 scores; else t. The choice is recorded in `method`.

    Binary intervals are clipped to [0, 1]. With all scores equal the t interval has zero width (se = 0).
    A single score has no standard error: "auto" then returns se = ci = nan with method ``"none (n=1)"``
    so that a pipeline keeps going visibly; asking for ``t``/``clt``/``bootstrap`` with n=1 raises.

    >>> str(mean_estimate([1, 0, 1, 1]))
    '0.7500 (SE 0.2165; 95% CI [0.3006, 0.9544]; n=4; wilson)'
    >>> mean_estimate([2.0, 4.0, 6.0]).method
    't'
    """
    level = check_level(level)
    check_choice(method, "method", MEAN_METHODS)
    x = as_scores(scores)
    n = int(x.size)
    value = float(x.mean())
    binary = is_binary(x)
    if method == "auto":
        binary_method = "wilson" if clusters is None else "clustered_wilson"
        method = binary_method if binary else "t"
        if n == 1 and clusters is None and method == "t":
            nan = math.nan
            return Estimate(value, nan, nan, nan, 1, method="none (n=1)", level=level)
    if method in BINARY_METHODS:
        if clusters is not None:
            raise ValueError(
                f"method={method!r} assumes independent scores; with clusters use 't', 'clt' "
                "or 'bootstrap' (cluster-robust)"
            )
        if not binary:
            raise ValueError(f"method={method!r} needs 0/1 scores; use 't' or 'bootstrap' for other scores")
        lo, hi = binomial_interval(int(x.sum()), n, level=level, method=method)
        se = math.sqrt(value * (1 - value) / n)
        return Estimate(value, se, float(lo), float(hi), n, method=method, level=level)
    if method == "clustered_wilson":
        if clusters is None or not binary:
            raise ValueError("method='clustered_wilson' needs 0/1 scores and `clusters`; use 'wilson' without clusters")
        return _clustered_wilson(x, clusters, level=level, correction=correction)
    if method == "bootstrap":
        from assay.stats.bootstrap import bootstrap

        return bootstrap(x, "mean", clusters=clusters, n_resamples=n_resamples, seed=seed, level=level)
    if n < 2 and clusters is None:
        raise ValueError(
            f"method={method!r} needs at least 2 scores to estimate a standard error, got 1; "
            "use method='wilson' for a 0/1 score or collect more samples"
        )
    return moment_interval(x, clusters=clusters, level=level, method=method, correction=correction, clip=binary)


def design_effect_wilson(p: float, n: float, deff: float, df: float, level: float) -> tuple[float, float]:
    """Wilson's interval on the effective size n / deff, shrunk by Korn and Graubard's (1998) factor
    (t_{n-1} / t_df)^2 for a variance estimated on `df` degrees of freedom (`n` as if scores were independent)."""
    q = 0.5 + level / 2
    df_factor = (float(t_ppf(q, n - 1)) / float(t_ppf(q, df))) ** 2 if n > 1 else 1.0
    lo, hi = wilson_limits(p, n / deff * df_factor, level)
    return float(lo), float(hi)


def _clustered_wilson(x: FloatArray, clusters: ArrayLike, *, level: float, correction: str) -> Estimate:
    c = clustered_se(x, clusters, correction=correction)
    n, p = c.n, c.mean
    binomial_var = p * (1 - p) / n
    deff = max(1.0, c.se**2 / binomial_var) if binomial_var > 0 else 1.0
    lo, hi = design_effect_wilson(p, n, deff, c.df, level)
    name = "clustered_wilson" + ("_nocorr" if correction == "none" else "")
    return Estimate(p, c.se, lo, hi, n, n_clusters=c.n_clusters, method=name, level=level, df=c.df)


def moment_interval(
    x: FloatArray,
    *,
    clusters: ArrayLike | None,
    level: float,
    method: str,
    correction: str = "cr1",
    clip: bool = False,
) -> Estimate:
    """t (or normal, method="clt") interval of the mean of `x`, clustered when `clusters` is given."""
    n = int(x.size)
    value = float(x.mean())
    if clusters is not None:
        c = clustered_se(x, clusters, correction=correction)
        se, n_clusters = c.se, c.n_clusters
        df = float(c.df) if method == "t" else None
        name = f"clustered_{method}" + ("_nocorr" if correction == "none" else "")
    else:
        se, n_clusters = float(x.std(ddof=1) / math.sqrt(n)), None
        df = float(n - 1) if method == "t" else None
        name = method
    lo, hi = _t_interval(value, se, df, level)
    if clip:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return Estimate(value, se, lo, hi, n, n_clusters=n_clusters, method=name, level=level, df=df)
