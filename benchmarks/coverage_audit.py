"""Monte Carlo coverage audit of assay.stats: do its 95% intervals hold the truth 95% of the time?

    python benchmarks/coverage_audit.py                  # 33 cells, 20,000 runs each (~3 minutes on 2 cores)
    python benchmarks/coverage_audit.py --quick          # 2,000 runs each (~20 s); the first 2,000 of the full run
    python benchmarks/coverage_audit.py --only kappa     # the cells whose name contains "kappa"
    python benchmarks/coverage_audit.py --seed 7 --jobs 1

Each cell draws data sets from a model whose true value is known, calls one assay.stats function on each and
measures one rate: coverage (the interval holds the truth; nominal 0.95), size (a test rejects a true null at
alpha 0.05; nominal 0.05) or power (a test at the n that `sample_size` asked for rejects; nominal 0.80). A row
gives the rate, its Monte Carlo SE, the mean interval width and a flag: LOW when coverage (or power) is more
than 3 MC SE below nominal, HIGH when size (or power) is more than 3 MC SE above it.

The cells are the ones of the earlier, larger audit that matter most: for each function, a design where its
default method works and one that shows a known weakness: t intervals on rare 0/1 scores, heavy tails or
skew (mean, paired, Welch, bootstrap); the clustered Wilson with a rare outcome in a few large, strongly
correlated clusters; the Brier score's t interval for very confident models; Cohen's kappa's large-sample
interval with few items. Each cell has its own random stream (from the seed and its name), so it gives the
same numbers alone (--only) as in the full run, whatever --jobs is.
"""

from __future__ import annotations

import argparse
import math
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing import Pool
from typing import cast

import numpy as np

from assay.stats import (
    Estimate,
    bootstrap,
    brier_score,
    calibration_test,
    cohen_kappa,
    demographic_parity_difference,
    drop_difference,
    epochs_estimate,
    mcnemar,
    mean_estimate,
    paired_difference,
    sample_size,
    unpaired_difference,
)
from assay.stats.gaps import paired_extreme

NOMINAL = {"coverage": 0.95, "size": 0.05, "power": 0.80}
FULL_RUNS, QUICK_RUNS = 20_000, 2_000  # MC SE of a 95% coverage: 0.0015 and 0.0049
CHUNK = 2_000  # runs drawn at once: bounds memory, and makes --quick the first chunk of the full run
B = 1000  # resamples for the bootstrap-based methods: enough for a 95% interval, and 2-10x faster than the default
Outcome = tuple[np.ndarray, np.ndarray | None]  # per-run hit (covered / rejected), per-run interval width
Draw = Callable[[np.random.Generator, int], Outcome]


@dataclass(frozen=True)
class Cell:
    name: str
    metric: str  # "coverage", "size" or "power"
    draw: Draw


# ---- outcomes


def covers(estimates: Iterable[Estimate], truth: float) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.array([(e.ci_low, e.ci_high) for e in estimates]).T
    return (lo <= truth) & (truth <= hi), hi - lo  # a nan limit is a miss


def rejects(pvalues: Iterable[float]) -> Outcome:
    return np.fromiter(pvalues, dtype=float) < 0.05, None


def seeds(rng: np.random.Generator, runs: int) -> list[int]:
    """One seed per run for the functions that bootstrap, drawn from the cell's stream."""
    return [int(s) for s in rng.integers(0, 2**31, runs)]


# ---- data

Sampler = Callable[[np.random.Generator, tuple[int, int]], np.ndarray]  # (rng, (runs, n)) -> runs x n scores
GRADE_P = np.array([0.02, 0.02, 0.03, 0.03, 0.05, 0.08, 0.15, 0.25, 0.22, 0.15])  # judge grades 1-10, skewed high
GRADE_MEAN = float(GRADE_P @ np.arange(1, 11))
LOGNORMAL_MEAN = math.exp(1.5**2 / 2)
KAPPA_TABLE = np.array([[0.30, 0.05, 0.02], [0.05, 0.25, 0.05], [0.02, 0.05, 0.21]])  # P(rater a, rater b)


def grades(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.choice(np.arange(1.0, 11.0), size=shape, p=GRADE_P)


def lognormal(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.lognormal(0, 1.5, shape)  # a heavy right tail


def partial_credit(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return rng.beta(0.5, 2, shape)  # mean 0.2, piled up near 0


def beta_binomial(rng: np.random.Generator, p: float, icc: float, g: int, m: int, runs: int) -> np.ndarray:
    """runs x (g * m) 0/1 scores in g clusters of m; cluster rates ~ Beta with mean p and intra-cluster corr. icc."""
    s = (1 - icc) / icc
    rates = rng.beta(p * s, (1 - p) * s, (runs, g))
    return (rng.random((runs, g * m)) < np.repeat(rates, m, axis=1)).astype(float)


def paired_binary(
    rng: np.random.Generator, pa: float, pb: float, phi: float, n: int, runs: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`runs` pairs of 0/1 score vectors (a, b) with accuracies pa and pb and correlation phi on each question."""
    p11 = pa * pb + phi * math.sqrt(pa * (1 - pa) * pb * (1 - pb))
    u = rng.random((runs, n))  # one uniform per question: [0, p11) both right, [p11, pa) a only, then b only
    a, b = u < pa, (u < p11) | ((u >= pa) & (u < pa + pb - p11))
    return list(zip(a.astype(float), b.astype(float), strict=True))


def population_kappa(table: np.ndarray, weights: str | None) -> float:
    i, j = np.indices(table.shape)
    w = (i != j).astype(float) if weights is None else np.abs(i - j) ** (1 if weights == "linear" else 2)
    return float(1 - np.sum(w * table) / np.sum(w * np.outer(table.sum(1), table.sum(0))))


# ---- cells: each function returns the Draw of one design


def binary_mean(method: str, p: float, n: int) -> Draw:
    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        # the interval depends on iid 0/1 data only through the count k: one call per distinct k
        ks, back = np.unique(rng.binomial(n, p, runs), return_inverse=True)
        hit, width = covers((mean_estimate((np.arange(n) < k).astype(float), method=method) for k in ks), p)
        return hit[back], width[back]

    return draw


def continuous_mean(method: str, sample: Sampler, truth: float, n: int) -> Draw:
    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        return covers((mean_estimate(x, method=method) for x in sample(rng, (runs, n))), truth)

    return draw


def clustered_mean(method: str, p: float, icc: float, g: int, m: int) -> Draw:
    labels = np.repeat(np.arange(g), m)

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        x = beta_binomial(rng, p, icc, g, m, runs)
        return covers((mean_estimate(row, clusters=labels, method=method) for row in x), p)

    return draw


def clustered_normal_mean(icc: float, g: int, m: int) -> Draw:
    labels = np.repeat(np.arange(g), m)

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        cluster_effects = np.repeat(rng.normal(0, math.sqrt(icc), (runs, g)), m, axis=1)
        x = cluster_effects + rng.normal(0, math.sqrt(1 - icc), (runs, g * m))
        return covers((mean_estimate(row, clusters=labels) for row in x), 0.0)

    return draw


def paired_cover(method: str, pa: float, pb: float, phi: float, n: int) -> Draw:
    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        pairs = paired_binary(rng, pa, pb, phi, n, runs)
        return covers((paired_difference(a, b, method=method).difference for a, b in pairs), pa - pb)

    return draw


def paired_clustered_agreeing(g: int, m: int, loss: float) -> Draw:
    """b answers as a but loses a share `loss` of a's right answers, in g clusters of m (a's accuracy 0.5): the
    true difference is loss / 2, and most data sets have no or one discordant pair."""
    labels = np.repeat(np.arange(g), m)

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        ease = np.repeat(rng.normal(0, 1, (runs, g)), m, axis=1)  # symmetric about 0: a's accuracy is 0.5
        a = (rng.random((runs, g * m)) < 1 / (1 + np.exp(-ease))).astype(float)
        b = np.where(rng.random((runs, g * m)) < loss, 0.0, a)
        pairs = zip(a, b, strict=True)
        return covers((paired_difference(x, y, clusters=labels).difference for x, y in pairs), loss / 2)

    return draw


def drops(n: int, loss_a: float, loss_b: float) -> Draw:
    """a and b (correlated, accuracy .7) lose a share loss_a / loss_b of their right answers under a perturbation."""
    truth = 0.7 * (loss_a - loss_b)

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        ca = (rng.random((runs, n)) < 0.7).astype(float)
        cb = np.where(rng.random((runs, n)) < 0.8, ca, (rng.random((runs, n)) < 0.7).astype(float))
        pa = np.where(rng.random((runs, n)) < loss_a, 0.0, ca)
        pb = np.where(rng.random((runs, n)) < loss_b, 0.0, cb)
        results = (drop_difference(*rows).difference for rows in zip(ca, pa, cb, pb, strict=True))
        return covers(results, truth)

    return draw


def paired_test(test: str, pa: float, pb: float, phi: float, n: int | None = None) -> Draw:
    """Rejection rate of the paired p-value (Bonett-Price z for 0/1) or McNemar's exact test; n=None: sample_size's."""

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        size = n or sample_size(pa - pb, p=pb, paired_rho=phi)
        pairs = paired_binary(rng, pa, pb, phi, size, runs)
        return rejects((mcnemar if test == "mcnemar" else paired_difference)(a, b).pvalue for a, b in pairs)

    return draw


def unpaired_binary(metric: str, pa: float, pb: float, na: int | None = None, nb: int | None = None) -> Draw:
    """Agresti-Caffo coverage, or its test's rejection rate (size, or power at sample_size's n when na is None)."""

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        n_a = na or sample_size(pa - pb, p=pb)
        a = (rng.random((runs, n_a)) < pa).astype(float)
        b = (rng.random((runs, nb or n_a)) < pb).astype(float)
        results = [unpaired_difference(x, y) for x, y in zip(a, b, strict=True)]
        if metric == "coverage":
            return covers((r.difference for r in results), pa - pb)
        return rejects(r.pvalue for r in results)

    return draw


def unpaired_skewed(n: int) -> Draw:
    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        a, b = rng.lognormal(0, 1, (runs, n)), rng.normal(1, 0.5, (runs, n))
        return covers((unpaired_difference(x, y).difference for x, y in zip(a, b, strict=True)), math.exp(0.5) - 1)

    return draw


def epochs_rare(n: int, k: int) -> Draw:
    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        p = rng.beta(0.1, 4.9, (runs, n, 1))  # item difficulties: mean 0.02, most items never right
        x = (rng.random((runs, n, k)) < p).astype(float)
        return covers((epochs_estimate(m).estimate for m in x), 0.02)

    return draw


def bootstrap_mean(method: str, sample: Sampler, truth: float, n: int) -> Draw:
    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        xs = zip(sample(rng, (runs, n)), seeds(rng, runs), strict=True)
        return covers((bootstrap(x, "mean", method=method, n_resamples=B, seed=s) for x, s in xs), truth)

    return draw


def parity(sizes: tuple[int, ...], rate: float) -> Draw:
    groups = np.repeat(np.arange(len(sizes)), sizes)

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        pred = zip((rng.random((runs, groups.size)) < rate).astype(float), seeds(rng, runs), strict=True)
        return covers((demographic_parity_difference(x, None, groups, n_resamples=B, seed=s) for x, s in pred), 0.0)

    return draw


def extreme(statistic: str, k: int, n: int) -> Draw:
    """K equally good templates on the same n prompts (a shared prompt effect): true gap 0, true max 0.5."""
    truth = 0.0 if statistic == "gap" else 0.5

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        hits = (rng.normal(size=(runs, 1, n)) + rng.normal(size=(runs, k, n)) < 0).astype(float)
        ms = zip(hits, seeds(rng, runs), strict=True)
        return covers((paired_extreme(m, statistic, n_resamples=B, seed=s) for m, s in ms), truth)

    return draw


def brier(alpha: float, shrink: float, n: int) -> Draw:
    """Probabilities ~ Beta(alpha, 1), outcomes ~ Bernoulli(shrink * p): calibrated when shrink is 1."""
    # E[(p - y)^2] = E[p^2] (1 - 2 shrink) + shrink E[p], with E[p] = a / (a + 1), E[p^2] = a / (a + 2)
    truth = alpha / (alpha + 2) * (1 - 2 * shrink) + shrink * alpha / (alpha + 1)

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        p = rng.beta(alpha, 1, (runs, n))
        y = (rng.random((runs, n)) < shrink * p).astype(float)
        return covers((cast(Estimate, brier_score(pp, yy, ci=True)) for pp, yy in zip(p, y, strict=True)), truth)

    return draw


def kappa(weights: str | None, n: int) -> Draw:
    truth = population_kappa(KAPPA_TABLE, weights)

    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        # each item falls in one cell of the 3x3 table: rater a's label is cell // 3, rater b's cell % 3
        cells = (np.repeat(np.arange(9), c) for c in rng.multinomial(n, KAPPA_TABLE.ravel(), runs))
        return covers((cohen_kappa(c // 3, c % 3, weights, ci=True) for c in cells), truth)

    return draw


def calibration_size(n: int) -> Draw:
    def draw(rng: np.random.Generator, runs: int) -> Outcome:
        p = rng.beta(5, 1, (runs, n))
        y = (rng.random((runs, n)) < p).astype(float)  # a calibrated model
        tests = (
            calibration_test(pp, yy, n_resamples=B, seed=s) for pp, yy, s in zip(p, y, seeds(rng, runs), strict=True)
        )
        return rejects(t.pvalue for t in tests)

    return draw


CELLS = [
    Cell("mean wilson 0/1 p=.02 n=100", "coverage", binary_mean("wilson", 0.02, 100)),
    Cell("mean t 0/1 p=.02 n=30", "coverage", binary_mean("t", 0.02, 30)),
    Cell("mean t judge grades 1-10 n=30", "coverage", continuous_mean("t", grades, GRADE_MEAN, 30)),
    Cell("mean t lognormal(0,1.5) n=100", "coverage", continuous_mean("t", lognormal, LOGNORMAL_MEAN, 100)),
    Cell("mean clustered_wilson p=.1 icc=.05 20x25", "coverage", clustered_mean("clustered_wilson", 0.1, 0.05, 20, 25)),
    Cell("mean clustered_wilson p=.02 icc=.3 10x50", "coverage", clustered_mean("clustered_wilson", 0.02, 0.3, 10, 50)),
    Cell("mean clustered t p=.02 icc=.3 10x50", "coverage", clustered_mean("t", 0.02, 0.3, 10, 50)),
    Cell("mean clustered t normal icc=.3 10x50", "coverage", clustered_normal_mean(0.3, 10, 50)),
    Cell("paired bonett_price .05 vs .02 phi=.3 n=100", "coverage", paired_cover("bonett_price", 0.05, 0.02, 0.3, 100)),
    Cell("paired t 0/1 .05 vs .02 phi=.3 n=100", "coverage", paired_cover("t", 0.05, 0.02, 0.3, 100)),
    Cell("paired clustered 0/1 b loses 1% of a's 20x10", "coverage", paired_clustered_agreeing(20, 10, 0.01)),
    Cell("drop_difference .2 vs .05 loss n=30", "coverage", drops(30, 0.2, 0.05)),
    Cell("paired bonett_price z .5 vs .5 phi=.3 n=100", "size", paired_test("paired", 0.5, 0.5, 0.3, 100)),
    Cell("mcnemar exact .5 vs .5 phi=.3 n=100", "size", paired_test("mcnemar", 0.5, 0.5, 0.3, 100)),
    Cell("unpaired agresti_caffo .02 vs .02 n=30+300", "size", unpaired_binary("size", 0.02, 0.02, 30, 300)),
    Cell("unpaired agresti_caffo .1 vs .05 n=30+300", "coverage", unpaired_binary("coverage", 0.1, 0.05, 30, 300)),
    Cell("unpaired welch lognormal vs normal n=30+30", "coverage", unpaired_skewed(30)),
    Cell("epochs 0/1 rare (mean .02) 30x10", "coverage", epochs_rare(30, 10)),
    Cell("epochs 0/1 rare (mean .02) 100x3", "coverage", epochs_rare(100, 3)),
    Cell("bootstrap percentile Beta(.5,2) n=30", "coverage", bootstrap_mean("percentile", partial_credit, 0.2, 30)),
    Cell("bootstrap bca lognormal(0,1.5) n=100", "coverage", bootstrap_mean("bca", lognormal, LOGNORMAL_MEAN, 100)),
    Cell("dp_difference parity 4 groups of 200", "coverage", parity((200, 200, 200, 200), 0.5)),
    Cell("dp_difference parity 4 groups of 30-200", "coverage", parity((50, 200, 100, 30), 0.5)),
    Cell("paired_extreme gap, 4 equal templates n=100", "coverage", extreme("gap", 4, 100)),
    Cell("paired_extreme max, 4 equal templates n=100", "coverage", extreme("max", 4, 100)),
    Cell("brier calibrated Beta(5,1) n=100", "coverage", brier(5, 1.0, 100)),
    Cell("brier very confident Beta(30,1) y~.97p n=30", "coverage", brier(30, 0.97, 30)),
    Cell("cohen_kappa 3x3 kappa=.64 n=150", "coverage", kappa(None, 150)),
    Cell("cohen_kappa 3x3 kappa=.64 n=50", "coverage", kappa(None, 50)),
    Cell("cohen_kappa quadratic 3x3 n=150", "coverage", kappa("quadratic", 150)),
    Cell("calibration_test calibrated Beta(5,1) n=200", "size", calibration_size(200)),
    Cell("sample_size paired .1->.15 rho=.4", "power", paired_test("paired", 0.15, 0.1, 0.4)),
    Cell("sample_size unpaired .1->.15", "power", unpaired_binary("power", 0.15, 0.1)),
]
BY_NAME = {c.name: c for c in CELLS}


# ---- running and reporting


def run_cell(job: tuple[str, int, int]) -> Outcome:
    name, seed, runs = job
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])  # the cell's own stream
    parts = [BY_NAME[name].draw(rng, min(CHUNK, runs - i)) for i in range(0, runs, CHUNK)]
    widths = [w for _, w in parts if w is not None]
    return np.concatenate([h for h, _ in parts]), np.concatenate(widths) if widths else None


def flag(metric: str, value: float, se: float) -> str:
    nominal = NOMINAL[metric]
    if metric != "size" and value < nominal - 3 * se:
        return "LOW"
    if metric != "coverage" and value > nominal + 3 * se:
        return "HIGH"
    return ""


def line(cols: tuple[str, ...], name_width: int) -> str:
    name, *numbers, last = cols
    return f"{name:<{name_width}}  " + "".join(f"{c:>10}" for c in numbers) + f"  {last}"


def report(name: str, outcome: Outcome) -> tuple[str, ...]:
    """The table row of one cell: name, metric, nominal, measured, MC SE, mean width, runs, flag."""
    hit, width = outcome
    metric = BY_NAME[name].metric
    value = float(hit.mean())
    se = math.sqrt(value * (1 - value) / hit.size)
    w = f"{np.nanmean(width):.4f}" if width is not None and np.isfinite(width).any() else "-"
    nominal = f"{NOMINAL[metric]:.2f}"
    return name, metric, nominal, f"{value:.4f}", f"{se:.4f}", w, str(hit.size), flag(metric, value, se)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} runs per cell instead of {FULL_RUNS}")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--only", default="", help="run only the cells whose name contains this (case-insensitive)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = ap.parse_args()
    runs = QUICK_RUNS if args.quick else FULL_RUNS
    names = [c.name for c in CELLS if args.only.lower() in c.name.lower()]
    if not names:
        raise SystemExit(f"no cell name contains {args.only!r}")
    col = max(len(n) for n in names)
    print(line(("cell", "metric", "nominal", "measured", "MC SE", "width", "runs", "flag"), col))
    t = time.perf_counter()
    flags = []
    with Pool(args.jobs) as pool:
        for name, outcome in zip(names, pool.imap(run_cell, [(n, args.seed, runs) for n in names]), strict=True):
            row = report(name, outcome)
            print(line(row, col).rstrip(), flush=True)
            flags.append(row[-1])
    low, high = flags.count("LOW"), flags.count("HIGH")
    print(
        f"\n{len(names)} cells: {low} LOW, {high} HIGH, {len(names) - low - high} within 3 MC SE of nominal "
        f"(seed {args.seed}, {runs} runs per cell, {time.perf_counter() - t:.0f} s)"
    )


if __name__ == "__main__":
    main()
