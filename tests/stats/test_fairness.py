"""Fairness metrics: values against hand counts, seeded bootstrap intervals, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from assay.stats import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
)


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    groups = rng.choice(["a", "b", "c"], 3000)
    labels = (rng.random(3000) < 0.4).astype(float)
    bias = np.where(groups == "a", 0.15, 0.0)
    preds = (rng.random(3000) < 0.2 + 0.5 * labels + bias).astype(float)
    return preds, labels, groups


def _rate(pred: np.ndarray, mask: np.ndarray) -> float:
    return float(pred[mask].mean())


def test_values_match_hand_computation() -> None:
    p, y, g = _data()
    sel = [_rate(p, g == k) for k in "abc"]
    tpr = [_rate(p, (g == k) & (y == 1)) for k in "abc"]
    fpr = [_rate(p, (g == k) & (y == 0)) for k in "abc"]
    assert demographic_parity_difference(p, y, g).value == pytest.approx(max(sel) - min(sel))
    assert demographic_parity_ratio(p, None, g).value == pytest.approx(min(sel) / max(sel))
    assert equal_opportunity_difference(p, y, g).value == pytest.approx(max(tpr) - min(tpr))
    eo = max(max(tpr) - min(tpr), max(fpr) - min(fpr))
    assert equalized_odds_difference(p, y, g).value == pytest.approx(eo)


def test_intervals_are_seeded_and_sensible() -> None:
    p, y, g = _data()
    a = equalized_odds_difference(p, y, g, seed=3)
    assert a == equalized_odds_difference(p, y, g, seed=3)
    assert a.ci_low < a.value < a.ci_high and a.method == "bootstrap_max_t"
    d = demographic_parity_difference(p, y, g, n_resamples=4000)
    assert 0.1 < d.ci_low < d.value < d.ci_high < 0.25  # the injected 0.15 bias is detected


def test_errors() -> None:
    with pytest.raises(ValueError, match="at least 2 groups"):
        demographic_parity_difference([1, 0], None, ["a", "a"])
    with pytest.raises(ValueError, match="0/1"):
        demographic_parity_difference([0.7, 0], None, ["a", "b"])
    with pytest.raises(ValueError, match="positive labels"):
        equal_opportunity_difference([1, 0, 1], [1, 0, 0], ["a", "b", "b"])
    with pytest.raises(ValueError, match="needs labels"):
        equalized_odds_difference([1, 0], None, ["a", "b"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no group has any positive"):
        demographic_parity_ratio([0, 0], None, ["a", "b"])
