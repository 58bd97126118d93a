"""Bootstrap CIs of a mean: assay.stats.bootstrap side by side with scipy.stats.bootstrap on the same data.

    python benchmarks/stats_bench.py          # quick: slow scipy runs use fewer resamples, time extrapolated
    python benchmarks/stats_bench.py --full   # every run at the full 10,000 resamples (scipy: ~20+ minutes)

Both sides use the percentile method. scipy gets ``vectorized=True`` and a ``batch`` so it never holds more
than ~4M resampled values at once (the same bound as assay). For the clustered mean, scipy resamples the
(cluster sum, cluster size) pairs with ``paired=True`` and the ratio statistic sum(sums)/sum(sizes): exactly
the cluster bootstrap of the mean that assay computes. scipy's cost is linear in the number of resamples, so
where scipy runs fewer resamples its time is scaled to 10,000 and marked "(extrapolated)"; its interval is
then the one from its shorter run. Peak memory is measured with tracemalloc in a separate call.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import stats

from assay.stats import bootstrap

B = 10_000


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def ratio_stat(s: np.ndarray, m: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(s.sum(axis=axis) / m.sum(axis=axis))


def case(title: str, ours: Callable[[int], Any], theirs: Callable[[int], Any], ours_b: int, scipy_b: int) -> None:
    print(f"\n== {title}")
    est, t_ours = timed(lambda: ours(ours_b))
    res, t_scipy = timed(lambda: theirs(scipy_b))
    t_ours_full = t_ours * B / ours_b
    t_scipy_full = t_scipy * B / scipy_b
    mem_ours = peak_mb(lambda: ours(min(ours_b, 2000)))
    mem_scipy = peak_mb(lambda: theirs(min(scipy_b, 200)))
    lo, hi = res.confidence_interval
    ex = lambda b: "" if b == B else f" (extrapolated from {b} resamples)"  # noqa: E731
    print(f"assay : {t_ours_full:9.3f} s{ex(ours_b)}  CI [{est.ci_low:.6g}, {est.ci_high:.6g}]  peak {mem_ours:.1f} MB")
    print(f"scipy : {t_scipy_full:9.3f} s{ex(scipy_b)}  CI [{lo:.6g}, {hi:.6g}]  peak {mem_scipy:.1f} MB")
    print(f"speed-up (scipy time / assay time, per 10,000 resamples): {t_scipy_full / t_ours_full:,.1f}x")
    same = all(f"{a:.2g}" == f"{b:.2g}" for a, b in ((est.ci_low, lo), (est.ci_high, hi)))
    wl, ws = est.ci_high - est.ci_low, hi - lo
    print(f"same interval to 2 significant figures: {same}; widths {wl:.4g} vs {ws:.4g} ({100 * (wl / ws - 1):+.1f}%)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="run every side at the full 10,000 resamples")
    args = ap.parse_args()
    quick = 200 if not args.full else B
    rng = np.random.default_rng(2024)

    x = (rng.random(1_000_000) < 0.73).astype(float)
    case(
        "mean of 1,000,000 binary scores (0/1), 10,000 resamples",
        lambda b: bootstrap(x, "mean", n_resamples=b, seed=1),
        lambda b: stats.bootstrap((x,), np.mean, vectorized=True, batch=4, n_resamples=b, method="percentile", rng=1),
        B,
        quick,
    )

    y = np.round(rng.beta(2, 5, 1_000_000) * 10, 1)  # a 0-10 grade in steps of 0.1: 101 distinct values
    case(
        "mean of 1,000,000 graded scores (0-10, step 0.1), 10,000 resamples",
        lambda b: bootstrap(y, "mean", n_resamples=b, seed=1),
        lambda b: stats.bootstrap((y,), np.mean, vectorized=True, batch=4, n_resamples=b, method="percentile", rng=1),
        B,
        quick,
    )

    g = 10_000
    sizes = rng.integers(1, 11, g)  # 1-10 questions per passage
    p = rng.beta(2, 2, g)  # passage difficulty: strong intra-cluster correlation
    clusters = np.repeat(np.arange(g), sizes)
    z = (rng.random(clusters.size) < p[clusters]).astype(float)
    sums = np.bincount(clusters, weights=z).astype(float)
    cnt = np.bincount(clusters).astype(float)
    case(
        f"clustered mean: {z.size:,} binary scores in 10,000 clusters of 1-10, 10,000 resamples",
        lambda b: bootstrap(z, "mean", clusters=clusters, n_resamples=b, seed=1),
        lambda b: stats.bootstrap(
            (sums, cnt), ratio_stat, paired=True, vectorized=True, batch=400, n_resamples=b, method="percentile", rng=1
        ),
        B,
        B,
    )

    w = rng.normal(0, 1, clusters.size) + rng.normal(0, 1, g)[clusters]
    wsums = np.bincount(clusters, weights=w).astype(float)
    case(
        f"clustered mean: {w.size:,} continuous scores in 10,000 clusters (every cluster distinct), 10,000 resamples",
        lambda b: bootstrap(w, "mean", clusters=clusters, n_resamples=b, seed=1),
        lambda b: stats.bootstrap(
            (wsums, cnt), ratio_stat, paired=True, vectorized=True, batch=400, n_resamples=b, method="percentile", rng=1
        ),
        B,
        B,
    )

    c = rng.normal(0.5, 0.2, 1_000_000)  # every score distinct: no shortcut, index resampling
    case(
        "mean of 1,000,000 continuous scores (all distinct), 10,000 resamples",
        lambda b: bootstrap(c, "mean", n_resamples=b, seed=1),
        lambda b: stats.bootstrap((c,), np.mean, vectorized=True, batch=4, n_resamples=b, method="percentile", rng=1),
        quick if not args.full else B,
        quick,
    )


if __name__ == "__main__":
    main()
