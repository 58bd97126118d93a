"""Sample size and minimum detectable effect: Miller's worked example, statsmodels, and a power simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower

from assay.stats import minimum_detectable_effect, paired_difference, sample_size


def test_millers_worked_example_969() -> None:
    # (z_.975 + z_.8)^2 * Var(d) / delta^2 with Var(d) = 1/9, delta = 0.03 -> 968.997 -> 969
    assert sample_size(0.03, sd_diff=1 / 3) == 969
    assert sample_size(0.03, sd=1 / 3, paired_rho=0.5) == 969  # 2 * (1/9) * (1 - 0.5) = 1/9
    assert sample_size(-0.03, sd_diff=1 / 3) == 969  # direction does not matter (two-sided)


def test_unpaired_matches_statsmodels_normal_power() -> None:
    for delta, sd in [(0.03, 1 / 3), (0.05, 0.45), (0.1, 0.5)]:
        ref = NormalIndPower().solve_power(effect_size=delta / sd, alpha=0.05, power=0.8, ratio=1.0)
        assert sample_size(delta, sd=sd) == math.ceil(ref)


def test_binary_baseline_and_pairing_and_design_effect() -> None:
    assert sample_size(0.05, p=0.7) == sample_size(0.05, sd=math.sqrt(0.21))
    n = sample_size(0.05, p=0.7)
    assert abs(sample_size(0.05, p=0.7, paired_rho=0.5) - n / 2) <= 1  # rho = 0.5 halves Var(d)
    assert abs(sample_size(0.05, p=0.7, design_effect=2.0) - 2 * n) <= 1


def test_mde_inverts_sample_size() -> None:
    for kw in ({"sd": 0.4}, {"p": 0.3, "paired_rho": 0.6}, {"sd_diff": 0.2, "design_effect": 1.5}):
        n = sample_size(0.04, **kw)  # type: ignore[arg-type]
        assert minimum_detectable_effect(n, **kw) <= 0.04 < minimum_detectable_effect(n - 1, **kw)  # type: ignore[arg-type]


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
    ],
)
def test_validation(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sample_size(**kwargs)  # type: ignore[arg-type]


def test_mde_validation() -> None:
    with pytest.raises(ValueError, match="n must be"):
        minimum_detectable_effect(0, sd=1.0)
