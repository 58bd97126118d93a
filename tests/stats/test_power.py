"""Sample size and minimum detectable effect: Miller's worked example, statsmodels, and power simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower, normal_power_het
from statsmodels.stats.proportion import power_proportions_2indep, samplesize_proportions_2indep_onetail

from assay.stats import minimum_detectable_effect, paired_difference, sample_size
from assay.stats._dist import norm_sf


def test_millers_worked_example_969() -> None:
    # (z_.975 + z_.8)^2 * Var(d) / delta^2 with Var(d) = 1/9, delta = 0.03 -> 968.997 -> 969
    assert sample_size(0.03, sd_diff=1 / 3) == 969
    assert sample_size(0.03, sd=1 / 3, paired_rho=0.5) == 969  # 2 * (1/9) * (1 - 0.5) = 1/9
    assert sample_size(-0.03, sd_diff=1 / 3) == 969  # direction does not matter (two-sided)


def test_unpaired_matches_statsmodels_normal_power() -> None:
    for delta, sd in [(0.03, 1 / 3), (0.05, 0.45), (0.1, 0.5)]:
        ref = NormalIndPower().solve_power(effect_size=delta / sd, alpha=0.05, power=0.8, ratio=1.0)
        assert sample_size(delta, sd=sd) == math.ceil(ref)


CASES_01 = [(0.1, 0.05), (0.3, 0.1), (0.7, 0.05), (0.85, 0.05), (0.5, 0.02), (0.05, 0.05), (0.2, -0.05), (0.6, 0.2)]


@pytest.mark.parametrize(("p", "delta"), CASES_01)
def test_binary_unpaired_matches_statsmodels_unpooled_wald_power(p: float, delta: float) -> None:
    # Oracle, same convention as sample_size(p=): the two-sided z test of p2 - p1 with the unpooled variance
    # p1 q1 + p2 q2 (what Welch's test estimates), under the null and the alternative alike. statsmodels gives
    # that SD (power_proportions_2indep's std_alt; p1 = prop2 + diff there) and the power, far tail included:
    # n must be the smallest number of questions per model whose power reaches 0.8.
    sd = power_proportions_2indep(delta, p, 100).std_alt
    assert sd == pytest.approx(math.sqrt(p * (1 - p) + (p + delta) * (1 - p - delta)))
    n = sample_size(delta, p=p)

    def power(k: int) -> float:
        return float(normal_power_het(abs(delta), k, 0.05, std_null=sd, std_alternative=sd))

    assert power(n) >= 0.8 > power(n - 1)
    # the textbook formula with the pooled variance 2 pbar qbar under the null (Fleiss; statsmodels'
    # samplesize_proportions_2indep_onetail) asks for a few more questions, never fewer: 686 vs 683 at .1 -> .15
    pooled = math.ceil(samplesize_proportions_2indep_onetail(delta, p, 0.8))
    assert 0 <= pooled - n <= 3


def test_binary_uses_both_accuracies() -> None:
    # Changed with the fix: p= used to take p(1 - p) for both models (1319 and 660 for 0.70 -> 0.75); the
    # second model's accuracy is p + delta, so Var(d) = 0.7 * 0.3 + 0.75 * 0.25 (unpaired, per model) and
    # minus 2 rho sqrt(0.21 * 0.1875) paired.
    v1, v2 = 0.7 * 0.3, 0.75 * 0.25
    assert sample_size(0.05, p=0.7) == sample_size(0.05, sd_diff=math.sqrt(v1 + v2)) == 1248
    paired = math.sqrt(v1 + v2 - 2 * 0.5 * math.sqrt(v1 * v2))
    assert sample_size(0.05, p=0.7, paired_rho=0.5) == sample_size(0.05, sd_diff=paired) == 625
    assert sample_size(-0.05, p=0.75) == sample_size(0.05, p=0.7)  # the same two accuracies, either way round
    n = sample_size(0.05, p=0.7)
    assert abs(sample_size(0.05, p=0.7, design_effect=2.0) - 2 * n) <= 1
    # the old equal-variance n fell short where the variances differ most (p near 0 or 1): .10 -> .15
    assert sample_size(0.05, p=0.1) == 683 > sample_size(0.05, sd=math.sqrt(0.09)) == 566


def _paired_01(
    rng: np.random.Generator, p_a: float, p_b: float, rho: float, reps: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """reps x n pairs of 0/1 scores with P(a=1) = p_a, P(b=1) = p_b and correlation rho, drawn from the exact cells."""
    p11 = p_a * p_b + rho * math.sqrt(p_a * (1 - p_a) * p_b * (1 - p_b))
    assert 0 <= p11 <= min(p_a, p_b) and p_a + p_b - p11 <= 1
    cum = np.cumsum([p11, p_a - p11, p_b - p11])  # cells (1, 1), (1, 0), (0, 1); the rest is (0, 0)
    cell = np.searchsorted(cum, rng.random((reps, n)), side="right")
    return (cell <= 1).astype(float), ((cell == 0) | (cell == 2)).astype(float)


@pytest.mark.parametrize(
    ("p", "delta", "rho", "expected_n"),
    # the audit's cases: with Var(d) from p alone these had power 0.73, 0.755 and 0.87
    [(0.1, 0.05, 0.4, 414), (0.3, 0.1, 0.2, 283), (0.85, 0.05, 0.6, 280)],
)
def test_paired_binary_power_by_simulation(p: float, delta: float, rho: float, expected_n: int) -> None:
    n = sample_size(delta, p=p, paired_rho=rho)
    assert n == expected_n
    rng = np.random.default_rng(1)
    a, b = _paired_01(rng, p + delta, p, rho, 2000, n)
    assert abs(a.mean() - (p + delta)) < 0.002 and abs(b.mean() - p) < 0.002
    rejected = [paired_difference(x, y, method="t").pvalue < 0.05 for x, y in zip(a, b, strict=True)]
    assert 0.76 <= np.mean(rejected) <= 0.85  # measured 0.806, 0.798, 0.817


def test_unpaired_binary_power_by_simulation() -> None:
    n = sample_size(0.05, p=0.1)  # 683 per model
    rng = np.random.default_rng(2)
    a = (rng.random((2000, n)) < 0.15).astype(float)
    b = (rng.random((2000, n)) < 0.1).astype(float)
    z = (a.mean(1) - b.mean(1)) / np.sqrt((a.var(1, ddof=1) + b.var(1, ddof=1)) / n)  # unpooled (Welch) z
    assert 0.76 <= np.mean(2 * norm_sf(np.abs(z)) < 0.05) <= 0.85  # measured 0.79; 0.71 with the old n


def test_mde_inverts_sample_size() -> None:
    for kw in ({"sd": 0.4}, {"p": 0.3, "paired_rho": 0.6}, {"sd_diff": 0.2, "design_effect": 1.5}):
        n = sample_size(0.04, **kw)
        assert minimum_detectable_effect(n, **kw) <= 0.04 < minimum_detectable_effect(n - 1, **kw)


@pytest.mark.parametrize(
    "kw",
    [
        {"p": 0.1},
        {"p": 0.7},
        {"p": 0.85, "paired_rho": 0.5},  # 0.6 is impossible for 0.85 -> 0.95 (at most 0.546)
        {"p": 0.1, "paired_rho": 0.4},
        {"p": 0.5, "paired_rho": -0.2, "design_effect": 1.7},
        {"p": 0.3, "alpha": 0.01, "power": 0.9},
    ],
)
@pytest.mark.parametrize("delta", [0.01, 0.05, 0.1])
def test_binary_mde_round_trip(kw: dict[str, float], delta: float) -> None:
    n = sample_size(delta, **kw)
    mde = minimum_detectable_effect(n, **kw)
    assert mde <= delta + 1e-12 < minimum_detectable_effect(n - 1, **kw)
    assert sample_size(mde, **kw) == n


def test_binary_mde_stays_a_feasible_improvement() -> None:
    # before the fix minimum_detectable_effect(1, p=0.5) returned 1.98, a difference no proportion can have
    with pytest.raises(ValueError, match=r"cannot detect any improvement over accuracy p=0\.5.*about 8"):
        minimum_detectable_effect(1, p=0.5)
    with pytest.raises(ValueError, match="cannot detect"):
        minimum_detectable_effect(7, p=0.5)
    assert 0.49 < minimum_detectable_effect(8, p=0.5) < 0.5  # 0.5 -> 0.998: just detectable
    with pytest.raises(ValueError, match="cannot detect"):
        minimum_detectable_effect(50, p=0.9)
    for n in (20, 100, 1000):
        assert 0 < minimum_detectable_effect(n, p=0.5, paired_rho=0.3) < 0.5
    with pytest.raises(ValueError, match=r"paired_rho=0\.3 is impossible"):  # 0.5 -> 0.97 allows at most 0.17
        minimum_detectable_effect(8, p=0.5, paired_rho=0.3)
    # at the difference 100 questions would detect (0.90 -> 0.95), 0/1 scores cannot correlate 0.8
    with pytest.raises(ValueError, match=r"paired_rho=0\.8 is impossible.*more questions"):
        minimum_detectable_effect(100, p=0.9, paired_rho=0.8)
    assert minimum_detectable_effect(3000, p=0.9, paired_rho=0.8) == pytest.approx(0.0095, abs=1e-4)


def test_power_by_simulation() -> None:
    rng = np.random.default_rng(0)
    n = sample_size(0.3, sd_diff=1.0)  # 88
    reps = 1500
    d = rng.normal(0.3, 1.0, (reps, n))
    rejected = [paired_difference(row, np.zeros(n)).pvalue < 0.05 for row in d]
    assert 0.77 <= np.mean(rejected) <= 0.85  # t test, planned with z: power just under 0.8 is expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"delta": 0.0, "sd": 1.0}, "delta"),
        ({"delta": 0.1}, "exactly one"),
        ({"delta": 0.1, "sd": 1.0, "p": 0.5}, "exactly one"),
        ({"delta": 0.1, "p": 1.0}, "p must be"),
        ({"delta": 0.1, "sd": -1.0}, "sd must be"),
        ({"delta": 0.1, "sd": 1.0, "alpha": 0.0}, "alpha"),
        ({"delta": 0.1, "sd": 1.0, "power": 1.0}, "power"),
        ({"delta": 0.1, "sd": 1.0, "paired_rho": 1.0}, "paired_rho"),
        ({"delta": 0.1, "sd_diff": 1.0, "paired_rho": 0.5}, "paired_rho"),
        ({"delta": 0.1, "sd": 1.0, "design_effect": 0.0}, "design_effect"),
        ({"delta": 0.35, "p": 0.7}, r"sample_size: .*p \+ delta = 0\.7 \+ 0\.35 = 1\.05.*strictly between 0 and 1"),
        ({"delta": -0.1, "p": 0.1}, r"p \+ delta .* = 0, which must be strictly between 0 and 1"),
        ({"delta": 0.05, "p": 0.1, "paired_rho": 0.9}, r"paired_rho=0\.9 is impossible .* \[-0\.1400, 0\.7935\]"),
        ({"delta": 0.05, "p": 0.1, "paired_rho": -0.5}, r"paired_rho=-0\.5 is impossible"),
    ],
)
def test_validation(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sample_size(**kwargs)


def test_mde_validation() -> None:
    with pytest.raises(ValueError, match="n must be"):
        minimum_detectable_effect(0, sd=1.0)
    with pytest.raises(ValueError, match="p must be"):
        minimum_detectable_effect(100, p=0.0)
