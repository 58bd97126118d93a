"""The few distribution functions assay needs, from `scipy.special`.

`scipy.stats` takes most of a second to import; these special functions give the same
values and keep `assay run` (which computes results at the end of every run) light.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special


def norm_ppf(q: Any) -> Any:
    return special.ndtri(q)


def norm_cdf(x: Any) -> Any:
    return special.ndtr(x)


def norm_sf(x: Any) -> Any:
    return special.ndtr(-np.asarray(x, dtype=float))


def t_ppf(q: Any, df: Any) -> Any:
    return special.stdtrit(df, q)


def t_sf(x: Any, df: Any) -> Any:
    return special.stdtr(df, -np.asarray(x, dtype=float))


def beta_ppf(q: Any, a: Any, b: Any) -> Any:
    return special.betaincinv(a, b, q)


def binom_cdf(k: Any, n: Any, p: Any) -> Any:
    return special.bdtr(k, n, p)


def binom_pmf(k: Any, n: Any, p: Any) -> Any:
    k = np.asarray(k, dtype=float)
    return np.exp(
        special.gammaln(n + 1)
        - special.gammaln(k + 1)
        - special.gammaln(n - k + 1)
        + special.xlogy(k, p)
        + special.xlog1py(n - k, -p)
    )


def chi2_sf(x: Any, df: Any) -> Any:
    return special.chdtrc(df, x)
