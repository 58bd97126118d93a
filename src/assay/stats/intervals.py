"""Confidence intervals for a binomial proportion: Wilson, Clopper-Pearson, Jeffreys and Wald (CLT).

All functions are vectorised over `k` and `n` so that exact coverage can be computed by enumeration.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._dist import beta_ppf, binom_pmf, norm_ppf
from assay.stats._validate import FloatArray, check_choice, check_level

BINOMIAL_METHODS = ("wilson", "clopper_pearson", "jeffreys", "clt")


def _z(level: float) -> float:
    return float(norm_ppf(0.5 + level / 2))


def wilson_limits(p: ArrayLike, n: ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    """Wilson's score interval from a proportion `p` and a (possibly effective, non-integer) size `n`.

    Exact at the boundaries: the lower limit is 0 when p = 0 and the upper 1 when p = 1.

    >>> lo, hi = wilson_limits(0.8, 10, 0.95)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    pp = np.asarray(p, dtype=float)
    nn = np.asarray(n, dtype=float)
    z2 = _z(level) ** 2
    center = (pp + z2 / (2 * nn)) / (1 + z2 / nn)
    half = np.sqrt(z2) / (1 + z2 / nn) * np.sqrt(pp * (1 - pp) / nn + z2 / (4 * nn * nn))
    # rounding would leave 1e-17 instead of 0 at the boundaries
    return np.where(pp == 0, 0.0, center - half), np.where(pp == 1, 1.0, center + half)


def agresti_coull_se(hits: ArrayLike, n: ArrayLike) -> FloatArray:
    """Agresti-Coull standard error of hits/n (two successes and two failures added): never 0, even at 0 or n.

    >>> round(float(agresti_coull_se(0, 30)), 4)
    0.0404
    """
    size = np.asarray(n, dtype=float) + 4.0
    p = (np.asarray(hits, dtype=float) + 2.0) / size
    return np.asarray(np.sqrt(p * (1 - p) / size), dtype=float)


def binomial_interval(
    k: ArrayLike, n: ArrayLike, *, level: float = 0.95, method: str = "wilson"
) -> tuple[FloatArray, FloatArray]:
    """Two-sided interval for a proportion from `k` successes in `n` trials; arrays broadcast.

    - ``wilson``: score interval (Wilson 1927); good coverage at all p, never leaves [0, 1].
    - ``clopper_pearson``: exact (inverted binomial tests); conservative (coverage >= level).
    - ``jeffreys``: equal-tailed Beta(k+1/2, n-k+1/2) posterior interval, with the Brown, Cai and
      DasGupta (2001) boundary fix: lower = 0 when k = 0 and upper = 1 when k = n.
    - ``clt``: Wald interval p ± z·sqrt(p(1-p)/n), clipped to [0, 1]; poor near 0 and 1.

    >>> lo, hi = binomial_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    level = check_level(level)
    check_choice(method, "method", BINOMIAL_METHODS)
    kk = np.asarray(k, dtype=float)
    nn = np.asarray(n, dtype=float)
    if np.any(nn < 1):
        raise ValueError("binomial_interval needs n >= 1 trials")
    if np.any((kk < 0) | (kk > nn)) or np.any(kk != np.round(kk)):
        raise ValueError("k must be a whole number of successes between 0 and n")
    kk, nn = np.broadcast_arrays(kk, nn)
    alpha = 1.0 - level
    if method == "wilson":
        lo, hi = wilson_limits(kk / nn, nn, level)
    elif method == "clopper_pearson":
        with np.errstate(invalid="ignore"):
            lo = np.where(kk == 0, 0.0, beta_ppf(alpha / 2, kk, nn - kk + 1))
            hi = np.where(kk == nn, 1.0, beta_ppf(1 - alpha / 2, kk + 1, nn - kk))
    elif method == "jeffreys":
        lo = np.where(kk == 0, 0.0, beta_ppf(alpha / 2, kk + 0.5, nn - kk + 0.5))
        hi = np.where(kk == nn, 1.0, beta_ppf(1 - alpha / 2, kk + 0.5, nn - kk + 0.5))
    else:
        p = kk / nn
        half = _z(level) * np.sqrt(p * (1 - p) / nn)
        lo, hi = p - half, p + half
    return np.clip(np.asarray(lo, dtype=float), 0.0, 1.0), np.clip(np.asarray(hi, dtype=float), 0.0, 1.0)


def exact_coverage(p: float, n: int, *, level: float = 0.95, method: str = "wilson") -> float:
    """Exact coverage probability of `method` at true proportion `p` with `n` trials (sum over all k).

    >>> exact_coverage(0.5, 30, method="clopper_pearson") >= 0.95
    True
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    k = np.arange(n + 1)
    lo, hi = binomial_interval(k, n, level=level, method=method)
    covers = (lo <= p) & (p <= hi)
    return float(np.sum(binom_pmf(k, n, p) * covers))
