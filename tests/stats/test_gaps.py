"""Gap (max - min) intervals: a two-group oracle, coverage by simulation, and the paired format spread."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from assay.stats import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    mean_estimate,
)
from assay.stats.gaps import max_gap_interval, max_interval, paired_extreme


def _groups(rates: list[float], n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    groups = np.repeat(np.arange(len(rates)), n)
    return (rng.random(groups.size) < np.repeat(rates, n)).astype(float), groups


def test_two_groups_match_the_wald_interval_for_a_difference_of_proportions() -> None:
    # With K=2 the gap is |p1 - p2| and the max-t interval is |d| +- z se: statsmodels' Wald interval.
    pred, groups = _groups([0.3, 0.6], 2000, np.random.default_rng(4))
    e = demographic_parity_difference(pred, None, groups, n_resamples=20000, seed=1)
    a, b = pred[groups == 0], pred[groups == 1]
    low, high = confint_proportions_2indep(b.sum(), b.size, a.sum(), a.size, method="wald")
    assert e.value == pytest.approx(b.mean() - a.mean())
    assert e.ci_low == pytest.approx(low, abs=0.002) and e.ci_high == pytest.approx(high, abs=0.002)


@pytest.mark.parametrize(("gap", "k"), [(0.0, 2), (0.0, 4), (0.1, 4)])
def test_parity_difference_covers_the_truth(gap: float, k: int) -> None:
    # A percentile interval of max - min covered a gap of 0 in 0% of these runs for 4 equal groups.
    rng = np.random.default_rng(k)
    rates = [0.5 + gap] + [0.5] * (k - 1)
    runs = 300
    hits = 0
    for run in range(runs):
        pred, groups = _groups(rates, 200, rng)
        e = demographic_parity_difference(pred, None, groups, n_resamples=1000, seed=run)
        hits += e.ci_low <= gap <= e.ci_high
    assert hits / runs >= 0.92  # nominal 0.95; 0.92 is 2.4 simulation SEs below


def test_parity_ratio_covers_parity() -> None:
    rng = np.random.default_rng(9)
    runs = 300
    hits = 0
    for run in range(runs):
        pred, groups = _groups([0.4, 0.4, 0.4], 200, rng)
        e = demographic_parity_ratio(pred, None, groups, n_resamples=1000, seed=run)
        assert 0 < e.ci_low <= e.value <= e.ci_high <= 1
        hits += e.ci_high >= 1.0
    assert hits / runs >= 0.92


def test_ratio_with_a_group_never_selected_has_no_interval() -> None:
    e = demographic_parity_ratio([1, 1, 0, 0, 0, 0], None, ["a", "a", "a", "b", "b", "b"])
    assert e.value == 0 and np.isnan(e.ci_low) and e.method.startswith("none")


def test_equalized_odds_bounds_both_families_together() -> None:
    rng = np.random.default_rng(2)
    groups = np.repeat([0, 1, 2], 1000)
    labels = (rng.random(groups.size) < 0.5).astype(float)
    # TPRs equal across groups; FPRs 0.1, 0.1, 0.3: the odds gap is the FPR gap, 0.2.
    fpr = np.where(groups == 2, 0.3, 0.1)
    pred = np.where(labels == 1, rng.random(groups.size) < 0.8, rng.random(groups.size) < fpr).astype(float)
    e = equalized_odds_difference(pred, labels, groups, n_resamples=4000)
    assert e.ci_low < 0.2 < e.ci_high and e.ci_low > 0.1 and e.method == "bootstrap_max_t"


def test_paired_format_spread_covers_zero_when_formats_are_equal() -> None:
    # Four prompt formats of the same items, each item right under a format with its own probability
    # (strongly correlated across formats), the formats equally good: the spread is 0.
    rng = np.random.default_rng(5)
    runs, n = 200, 300
    hits = 0
    for run in range(runs):
        ability = rng.beta(2, 2, size=n)
        matrix = (rng.random((4, n)) < ability).astype(float)
        e = paired_extreme(matrix, "gap", n_resamples=1000, seed=run)
        hits += e.ci_low <= 0.0
    assert hits / runs >= 0.92


def test_degenerate_inputs() -> None:
    assert max_gap_interval([([0.5], np.full((10, 1), 0.5))]) == (0.0, 0.0)  # one quantity: no gap
    low, high = max_gap_interval([([1.0, 1.0], np.ones((50, 2)))])  # two rates of 1, never varying
    assert (low, high) == (0.0, 0.0)
    assert np.isnan(max_gap_interval([([0.2, 0.4], np.full((1, 2), 0.3))])[0])  # one replicate


def test_worst_of_several_rates_covers_the_truth_despite_the_pick() -> None:
    # Sixteen attack templates on the same 150 prompts, all with success rate 0.3: the worst template's own
    # Wilson interval misses 0.3 often (it was picked for being high); the simultaneous one does not.
    rng = np.random.default_rng(8)
    runs, n = 200, 150
    simultaneous = picked = 0
    for run in range(runs):
        vulnerability = rng.beta(30, 70, size=n)  # prompts differ a little; templates correlate through them
        matrix = (rng.random((16, n)) < vulnerability).astype(float)
        e = paired_extreme(matrix, "max", n_resamples=1000, seed=run)
        simultaneous += e.ci_low <= 0.3 <= e.ci_high
        own = mean_estimate(matrix[matrix.mean(axis=1).argmax()])
        picked += own.ci_low <= 0.3 <= own.ci_high
    assert simultaneous / runs >= 0.92
    assert picked / runs < 0.8  # what the old report gave: the pick's own interval


def test_max_interval_limits_and_errors() -> None:
    low, high = max_interval([0.5, 0.5], np.full((10, 2), 0.5))
    assert (low, high) == (0.5, 0.5)
    with pytest.raises(ValueError, match="'gap' or 'max'"):
        paired_extreme([[1, 0], [0, 1]], "min")
    with pytest.raises(ValueError, match="K conditions x n"):
        paired_extreme([1, 0, 1])


def test_zero_one_scores_that_never_vary_keep_an_interval() -> None:
    # 30 prompts all broken by each of 3 templates: the bootstrap never varies, the floor (Agresti-Coull)
    # and the Sidak critical value still give an interval about as wide as one Wilson interval.
    worst = paired_extreme(np.ones((3, 30)), "max")
    assert worst.value == 1.0 and 0.85 < worst.ci_low < 0.95 and worst.ci_high == 1.0
    # three formats that always agree: a spread of 0, but not known to be exactly 0
    row = (np.random.default_rng(0).random(30) < 0.5).astype(float)
    same = paired_extreme(np.vstack([row, row, row]), "gap")
    assert same.value == 0.0 and same.ci_low == 0.0 and 0.03 < same.ci_high < 0.15
    parity = demographic_parity_difference([1] * 40, None, [0] * 20 + [1] * 20)
    assert parity.value == 0.0 and parity.ci_low == 0.0 and 0.05 < parity.ci_high < 0.25
    ratio = demographic_parity_ratio([1] * 40, None, [0] * 20 + [1] * 20)
    assert ratio.value == 1.0 and 0.75 < ratio.ci_low < 0.95 and ratio.ci_high == 1.0
