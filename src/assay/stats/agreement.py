"""Inter-rater agreement: Cohen's kappa (two raters), Fleiss' kappa (many raters), Krippendorff's alpha."""

from __future__ import annotations

import math
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._validate import FloatArray, check_choice, check_level
from assay.stats.estimate import Estimate, _t_interval

LEVELS = ("nominal", "ordinal", "interval", "ratio")


@overload
def cohen_kappa(
    a: ArrayLike, b: ArrayLike, weights: str | None = ..., *, ci: Literal[False] = ..., level: float = ...
) -> float: ...
@overload
def cohen_kappa(
    a: ArrayLike, b: ArrayLike, weights: str | None = ..., *, ci: Literal[True], level: float = ...
) -> Estimate: ...
def cohen_kappa(
    a: ArrayLike, b: ArrayLike, weights: str | None = None, *, ci: bool = False, level: float = 0.95
) -> float | Estimate:
    """Cohen's kappa between two raters' labels `a` and `b` (any sortable labels, same items, same order).

    `weights`: None (unweighted), ``"linear"`` (|i-j|) or ``"quadratic"`` ((i-j)^2), where i and j are the
    positions of the labels in the sorted set of labels both raters used (scikit-learn's convention).
    With ``ci=True`` returns an Estimate with the large-sample standard error of Fleiss, Cohen and Everitt
    (1969) and its normal interval, kept in [-1, 1] (statsmodels' ``cohens_kappa`` gives the same).

    >>> round(cohen_kappa(["y", "y", "n", "n", "y"], ["y", "n", "n", "n", "y"]), 4)
    0.6154
    >>> e = cohen_kappa(["y", "y", "n", "n", "y"] * 20, ["y", "n", "n", "n", "y"] * 20, ci=True)
    >>> round(e.se, 4), e.method
    (0.071, 'fleiss_cohen_everitt')
    """
    if weights is not None:
        check_choice(weights, "weights", ("linear", "quadratic"))
    x, y = np.asarray(a), np.asarray(b)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise ValueError(f"a and b must be non-empty 1-D label arrays of equal length, got {x.shape} and {y.shape}")
    labels, codes = np.unique(np.concatenate([x, y]), return_inverse=True)
    k = labels.size
    ia, ib = codes[: x.size], codes[x.size :]
    observed = np.bincount(ia * k + ib, minlength=k * k).reshape(k, k) / x.size
    expected = np.outer(observed.sum(1), observed.sum(0))
    i, j = np.indices((k, k))
    w = (i != j).astype(float) if weights is None else np.abs(i - j) ** (1 if weights == "linear" else 2)
    denom = float(np.sum(w * expected))
    if denom == 0:
        raise ValueError(
            "kappa is undefined when both raters used one and the same label for every item "
            "(chance agreement is 1); report raw agreement instead"
        )
    kappa = float(1.0 - np.sum(w * observed) / denom)
    if not ci:
        return kappa
    level = check_level(level)
    se = _kappa_se(observed, 1.0 - w / w.max(), kappa, x.size)
    low, high = _t_interval(kappa, se, None, level)  # no df: the normal quantile
    low, high = max(-1.0, low), min(1.0, high)
    return Estimate(kappa, se, low, high, int(x.size), method="fleiss_cohen_everitt", level=level)


def _kappa_se(observed: FloatArray, agree: FloatArray, kappa: float, n: int) -> float:
    """Fleiss, Cohen and Everitt's (1969) large-sample SE of (weighted) kappa; `agree` are agreement weights."""
    rows, cols = observed.sum(axis=1), observed.sum(axis=0)
    chance = float(np.sum(np.outer(rows, cols) * agree))
    row_means, col_means = agree @ cols, rows @ agree  # v_i. and v_.j
    spread = observed * (agree - (row_means[:, None] + col_means[None, :]) * (1 - kappa)) ** 2
    var = (float(spread.sum()) - (kappa - chance * (1 - kappa)) ** 2) / (n * (1 - chance) ** 2)
    return math.sqrt(max(var, 0.0))


def fleiss_kappa(table: ArrayLike) -> float:
    """Fleiss' kappa from a subjects x categories table of rating counts (each row sums to the raters per subject).

    >>> round(fleiss_kappa([[2, 0], [0, 2], [1, 1]]), 4)
    0.3333
    """
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        # one subject: chance agreement comes from its own ratings, so kappa is -1 or undefined, never informative
        raise ValueError(
            f"table must be subjects x categories (at least 2 subjects and 2 categories), got shape {t.shape}"
        )
    if np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("table must hold non-negative whole counts of ratings")
    raters = t.sum(axis=1)
    if np.any(raters != raters[0]) or raters[0] < 2:
        raise ValueError(
            "every subject needs the same number (>= 2) of ratings; for missing ratings use krippendorff_alpha"
        )
    r = raters[0]
    p_i = (np.sum(t**2, axis=1) - r) / (r * (r - 1))
    p_j = t.sum(axis=0) / t.sum()
    p_e = float(np.sum(p_j**2))
    if p_e == 1.0:
        raise ValueError("Fleiss' kappa is undefined when every rating falls in one category")
    return float((p_i.mean() - p_e) / (1 - p_e))


def _counts(data: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Units x values count matrix (pairable units only) and the sorted distinct values."""
    raw = np.asarray(data, dtype=object)
    if raw.ndim != 2:
        raise ValueError(f"data must be coders x units (2-D), got shape {raw.shape}")
    flat = raw.ravel()
    missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in flat])
    try:
        vals = np.array([float(v) for v in flat[~missing]])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ratings must be numbers (code categories as numbers), None or NaN: {exc}") from exc
    values, codes = np.unique(vals, return_inverse=True)
    units = np.nonzero(~missing)[0] % raw.shape[1]
    n_units = raw.shape[1]
    counts = np.zeros((n_units, values.size))
    np.add.at(counts, (units, codes), 1.0)
    pairable = counts.sum(axis=1) >= 2
    return counts[pairable], values


def _delta2(level: str, values: FloatArray, n_v: FloatArray) -> FloatArray:
    """Squared distance matrices, batched over the leading axis of `n_v` (value totals) for the ordinal metric."""
    c, k = np.meshgrid(values, values, indexing="ij")
    if level == "nominal":
        return np.asarray(c != k, dtype=float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        s = c + k
        return np.divide((c - k) ** 2, s**2, out=np.zeros_like(s), where=s != 0)
    cum = np.cumsum(n_v, axis=-1)
    i, j = np.meshgrid(np.arange(values.size), np.arange(values.size), indexing="ij")
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    between = cum[..., hi] - cum[..., lo] + n_v[..., lo]
    return (between - (n_v[..., i] + n_v[..., j]) / 2) ** 2


def _alpha(coincidence: FloatArray, level: str, values: FloatArray) -> FloatArray:
    """Alpha from coincidence matrices (..., V, V)."""
    n_v = coincidence.sum(axis=-1)
    n = n_v.sum(axis=-1)
    d2 = _delta2(level, values, n_v)
    observed = np.sum(coincidence * d2, axis=(-2, -1))
    expected = np.sum(n_v[..., :, None] * n_v[..., None, :] * d2, axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(1.0 - (n - 1) * observed / expected, dtype=float)


def _unit_coincidences(counts: FloatArray) -> FloatArray:
    m = counts.sum(axis=1)
    per_unit = counts[:, :, None] * counts[:, None, :]
    idx = np.arange(counts.shape[1])
    per_unit[:, idx, idx] -= counts
    return np.asarray(per_unit / (m - 1)[:, None, None], dtype=float)


def krippendorff_alpha(
    data: ArrayLike,
    level: str = "nominal",
    ci: bool = False,
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    conf_level: float = 0.95,
) -> float | Estimate:
    """Krippendorff's alpha for a coders x units matrix of ratings, with None/NaN for missing ratings.

    `level` picks the distance: ``nominal`` (match or not), ``ordinal`` (ranks, via value frequencies),
    ``interval`` (squared difference) or ``ratio`` (squared difference over squared sum). Units with fewer
    than two ratings are not pairable and are dropped (Krippendorff 2011). With ``ci=True`` returns an
    Estimate whose interval is a percentile bootstrap over units (`n_resamples`, `seed`), vectorised over
    resamples; replicates where alpha is undefined (one value only) are dropped.

    >>> round(krippendorff_alpha([[1, 2, 3, 3], [1, 2, 3, 4]], "interval"), 4)
    0.8889
    """
    check_choice(level, "level", LEVELS)
    counts, values = _counts(data)
    if counts.shape[0] == 0:
        raise ValueError("no unit has two or more ratings, so agreement cannot be measured")
    if level == "ratio" and np.any(values < 0):
        raise ValueError("the ratio metric needs non-negative values")
    per_unit = _unit_coincidences(counts)
    alpha = float(_alpha(per_unit.sum(axis=0), level, values))
    if not math.isfinite(alpha):
        raise ValueError("alpha is undefined when all pairable ratings share one value (no expected disagreement)")
    if not ci:
        return alpha
    conf_level = check_level(conf_level)
    rng = np.random.default_rng(seed)
    u = counts.shape[0]
    flat = per_unit.reshape(u, -1)
    reps = []
    step = max(1, (1 << 22) // max(u * values.size**2, 1))
    for start in range(0, n_resamples, step):
        w = rng.multinomial(u, np.full(u, 1.0 / u), size=min(step, n_resamples - start)).astype(float)
        co = (w @ flat).reshape(-1, values.size, values.size)
        reps.append(_alpha(co, level, values))
    r = np.concatenate(reps)
    r = r[np.isfinite(r)]
    if r.size < 2:
        raise ValueError("too few bootstrap resamples had a defined alpha; the data hold too little variation")
    lo, hi = np.quantile(r, [(1 - conf_level) / 2, (1 + conf_level) / 2])
    return Estimate(
        alpha, float(np.std(r, ddof=1)), float(lo), float(hi), int(u), method="bootstrap_percentile", level=conf_level
    )
