"""Vectorised, seeded, memory-bounded bootstrap intervals, with a cluster bootstrap and a fast path for means.

The mean of a resample depends only on how many times each distinct value was drawn, and those counts are
Multinomial(n, observed frequencies). Eval scores usually take few distinct values (0/1, a 1-10 grade), so
for the mean we draw the counts of the distinct values directly: exact, and O(B x distinct values) instead of
O(B x n). With many distinct values we fall back to index resampling in chunks of about 4M draws, so memory
stays bounded (never an n x B matrix). The cluster bootstrap resamples whole clusters; for the mean it does
the same on the distinct (cluster sum, cluster size) pairs and takes the ratio of resampled totals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from assay.stats._dist import norm_cdf, norm_ppf
from assay.stats._validate import FloatArray, IntArray, as_clusters, as_scores, check_choice, check_level
from assay.stats.estimate import Estimate

Statistic = Callable[..., Any]
METHODS = ("percentile", "bca")
MAX_CATEGORIES = 4096  # distinct values (or cluster sum/size pairs) up to which the multinomial path is used
CHUNK_ELEMENTS = 1 << 22  # resampled entries held at once (~16-50 MB)
JACKKNIFE_GROUPS = 2000  # above this many units the BCa acceleration uses a delete-a-group jackknife


def _index_dtype(n: int) -> type[np.unsignedinteger[Any]]:
    # 32-bit indices are several times faster to draw and gather than int64.
    return np.uint32 if n < 2**32 else np.uint64


def _multinomial_ratio(
    rng: np.random.Generator, weights: FloatArray, num: FloatArray, den: FloatArray, draws: int, b: int
) -> FloatArray:
    """Replicates of sum(c*num)/sum(c*den) with c ~ Multinomial(draws, weights/sum(weights)), in chunks."""
    p = weights / weights.sum()
    out = np.empty(b)
    step = max(1, CHUNK_ELEMENTS // max(p.size, 1))
    for start in range(0, b, step):
        c = rng.multinomial(draws, p, size=min(step, b - start)).astype(float)
        out[start : start + c.shape[0]] = (c @ num) / (c @ den)
    return out


def _index_ratio(rng: np.random.Generator, num: FloatArray, den: FloatArray | None, b: int) -> FloatArray:
    """Replicates of sum(num[idx])/sum(den[idx]) (or mean(num[idx])) over uniform index resamples, in chunks."""
    n = num.size
    out = np.empty(b)
    step = max(1, CHUNK_ELEMENTS // n)
    dtype = _index_dtype(n)
    for start in range(0, b, step):
        idx = rng.integers(0, n, size=(min(step, b - start), n), dtype=dtype)
        top = num[idx].sum(axis=1)
        out[start : start + idx.shape[0]] = top / (den[idx].sum(axis=1) if den is not None else n)
    return out


def _call(statistic: Statistic, x: FloatArray) -> float:
    value = np.asarray(statistic(x), dtype=float)
    if value.shape != ():
        raise ValueError(f"statistic must return one number for a 1-D array, got shape {value.shape}")
    return float(value)


def _vectorised(statistic: Statistic, x: FloatArray) -> bool:
    """Whether statistic(matrix, axis=-1) computes the statistic row by row (numpy reducers do)."""
    try:
        rows = np.asarray(statistic(np.stack([x, x[::-1]]), axis=-1), dtype=float)
    except TypeError:
        return False
    return rows.shape == (2,) and bool(np.allclose(rows, _call(statistic, x), equal_nan=True))


def _general_replicates(
    rng: np.random.Generator, x: FloatArray, statistic: Statistic, groups: list[IntArray] | None, b: int
) -> FloatArray:
    out = np.empty(b)
    if groups is None:
        n = x.size
        vec = _vectorised(statistic, x)
        step = max(1, CHUNK_ELEMENTS // n)
        for start in range(0, b, step):
            idx = rng.integers(0, n, size=(min(step, b - start), n), dtype=_index_dtype(n))
            if vec:
                out[start : start + idx.shape[0]] = statistic(x[idx], axis=-1)
            else:  # a plain 1-D callable: one call per resample, the only loop left
                out[start : start + idx.shape[0]] = [_call(statistic, x[row]) for row in idx]
        return out
    g = len(groups)
    picks = rng.integers(0, g, size=(b, g))
    for r in range(b):  # resampled clusters have different total sizes, so each resample is its own array
        out[r] = _call(statistic, x[np.concatenate([groups[j] for j in picks[r]])])
    return out


def _acceleration(jack: FloatArray, weights: FloatArray | None = None) -> float:
    w = np.ones_like(jack) if weights is None else weights
    centre = np.sum(w * jack) / np.sum(w)
    d = centre - jack
    denom = np.sum(w * d**2) ** 1.5
    return 0.0 if denom == 0 else float(np.sum(w * d**3) / (6.0 * denom))


def _jackknife_groups(codes: IntArray, n_units: int, rng: np.random.Generator) -> tuple[IntArray, int]:
    """Map units to at most JACKKNIFE_GROUPS jackknife groups (delete-a-group jackknife when there are many)."""
    if n_units <= JACKKNIFE_GROUPS:
        return codes, n_units
    perm = rng.permutation(n_units) % JACKKNIFE_GROUPS
    return perm[codes], JACKKNIFE_GROUPS


def bootstrap_distribution(
    scores: ArrayLike,
    statistic: str | Statistic = "mean",
    *,
    clusters: ArrayLike | None = None,
    n_resamples: int = 10_000,
    seed: int | np.random.Generator | None = 0,
) -> tuple[float, FloatArray]:
    """The observed statistic and `n_resamples` bootstrap replicates of it (cluster bootstrap with `clusters`).

    >>> theta, reps = bootstrap_distribution([0, 1, 1, 1], n_resamples=1000, seed=1)
    >>> theta, reps.shape
    (0.75, (1000,))
    """
    x = as_scores(scores)
    if not isinstance(n_resamples, int) or n_resamples < 2:
        raise ValueError(f"n_resamples must be an integer >= 2, got {n_resamples!r}")
    if statistic != "mean" and not callable(statistic):
        raise ValueError(f"statistic must be 'mean' or a callable over a 1-D array, got {statistic!r}")
    fn = None if isinstance(statistic, str) else statistic
    rng = np.random.default_rng(seed)
    if clusters is None:
        if x.size < 2:
            raise ValueError("the bootstrap needs at least 2 scores; with one score there is nothing to resample")
        if fn is None:
            values, counts = np.unique(x, return_counts=True)
            if values.size <= MAX_CATEGORIES:
                ones = np.ones_like(values)
                return float(x.mean()), _multinomial_ratio(rng, counts.astype(float), values, ones, x.size, n_resamples)
            return float(x.mean()), _index_ratio(rng, x, None, n_resamples)
        return _call(fn, x), _general_replicates(rng, x, fn, None, n_resamples)
    codes, g = as_clusters(clusters, x.size)
    if g < 2:
        raise ValueError(f"the cluster bootstrap needs at least 2 clusters, got {g}; drop `clusters` or add clusters")
    if fn is None:
        sums = np.bincount(codes, weights=x, minlength=g).astype(float)
        sizes = np.bincount(codes, minlength=g).astype(float)
        pairs, counts = np.unique(np.column_stack([sums, sizes]), axis=0, return_counts=True)
        if pairs.shape[0] <= MAX_CATEGORIES:
            reps = _multinomial_ratio(rng, counts.astype(float), pairs[:, 0], pairs[:, 1], g, n_resamples)
        else:
            reps = _index_ratio(rng, sums, sizes, n_resamples)
        return float(x.mean()), reps
    order = np.argsort(codes, kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(codes, minlength=g))[:-1])
    return _call(fn, x), _general_replicates(rng, x, fn, groups, n_resamples)


def _jackknife(
    x: FloatArray, statistic: str | Statistic, codes: IntArray | None, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray | None]:
    """Leave-one-unit-out values of the statistic (units are scores, or clusters when `codes` is given)."""
    if statistic == "mean":
        if codes is None:
            values, counts = np.unique(x, return_counts=True)
            return (x.sum() - values) / (x.size - 1), counts.astype(float)
        sums = np.bincount(codes, weights=x)
        sizes = np.bincount(codes).astype(float)
        return (x.sum() - sums) / (x.size - sizes), None
    assert callable(statistic)
    units = np.arange(x.size) if codes is None else codes
    groups, j = _jackknife_groups(units, int(units.max()) + 1, rng)
    return np.array([_call(statistic, x[groups != k]) for k in range(j)]), None


def bootstrap(
    scores: ArrayLike,
    statistic: str | Statistic = "mean",
    *,
    clusters: ArrayLike | None = None,
    n_resamples: int = 10_000,
    method: str = "percentile",
    seed: int | np.random.Generator | None = 0,
    level: float = 0.95,
) -> Estimate:
    """Bootstrap interval for `statistic` ("mean" or a callable over a 1-D array) of `scores`.

    With `clusters`, whole clusters are resampled (the cluster bootstrap); a callable then sees the scores of
    the resampled clusters concatenated. A callable that accepts ``axis=`` (numpy reducers) is evaluated on a
    chunk of resamples at once; any other callable is called once per resample. ``method="bca"`` is the
    bias-corrected and accelerated interval (Efron 1987), its acceleration from the jackknife (a delete-a-group
    jackknife with 2000 groups above 2000 units; exact and O(n) for the mean). Ties with the observed value
    count half in the BCa bias correction, which matters for discrete scores. `se` is the standard deviation
    of the replicates. Resamples where the statistic is undefined (nan or inf, e.g. a ratio over no answered
    item) are left out; if they are half or more, it raises. The default seed 0 makes results reproducible;
    pass your own to vary it.

    >>> e = bootstrap([0, 1, 1, 1, 0, 1, 1, 1], n_resamples=2000, seed=0)
    >>> e.value, e.method, 0.0 <= e.ci_low < e.ci_high <= 1.0
    (0.75, 'bootstrap_percentile', True)
    """
    level = check_level(level)
    check_choice(method, "method", METHODS)
    x = as_scores(scores)
    rng = np.random.default_rng(seed)
    theta, reps = bootstrap_distribution(x, statistic, clusters=clusters, n_resamples=n_resamples, seed=rng)
    if not np.isfinite(theta):
        raise ValueError(f"the statistic is {theta} on the data itself, so it has no interval")
    # A ratio statistic can be undefined in some resamples (no item answered): those are left out, which
    # conditions on the statistic existing; if that is most of them, no interval is honest.
    finite = np.isfinite(reps)
    if finite.sum() < reps.size / 2:
        raise ValueError(
            f"the statistic is undefined (nan/inf) in {reps.size - int(finite.sum())} of {reps.size} bootstrap "
            "resamples; use more data, or a statistic defined on every resample"
        )
    reps = reps[finite]
    codes, g = (None, None) if clusters is None else as_clusters(clusters, x.size)
    alpha = (1.0 - level) / 2
    probs = np.array([alpha, 1.0 - alpha])
    if method == "bca":
        frac = (np.sum(reps < theta) + 0.5 * np.sum(reps == theta)) / reps.size
        if frac in (0.0, 1.0):
            raise ValueError(
                "BCa is undefined: every bootstrap replicate lies on one side of the estimate; use method='percentile'"
            )
        z0 = float(norm_ppf(frac))
        jack, weights = _jackknife(x, statistic, codes, rng)
        a = _acceleration(jack, weights)
        z = norm_ppf(probs)
        probs = norm_cdf(z0 + (z0 + z) / (1.0 - a * (z0 + z)))
    lo, hi = np.quantile(reps, probs)
    return Estimate(
        value=theta,
        se=float(np.std(reps, ddof=1)),
        ci_low=float(lo),
        ci_high=float(hi),
        n=int(x.size),
        n_clusters=g,
        method=f"bootstrap_{method}",
        level=level,
    )
