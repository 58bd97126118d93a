"""Multiple-testing adjustments against statsmodels.multipletests, plus properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from assay.stats import adjust_pvalues

PAIRS = [("holm", "holm"), ("bonferroni", "bonferroni"), ("bh", "fdr_bh"), ("by", "fdr_by")]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_matches_statsmodels(ours: str, theirs: str) -> None:
    rng = np.random.default_rng(0)
    for m in (1, 2, 5, 50):
        p = rng.random(m) ** 3
        p[: m // 3] = p[0]  # ties
        np.testing.assert_allclose(adjust_pvalues(p, ours), multipletests(p, method=theirs)[1], atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.sampled_from([p[0] for p in PAIRS]))
def test_properties(ps: list[float], method: str) -> None:
    p = np.array(ps)
    adj = adjust_pvalues(p, method)
    assert adj.shape == p.shape
    assert np.all(adj >= p - 1e-15) and np.all(adj <= 1.0)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(adj[order]) >= -1e-12)  # monotone in the raw p-values
    perm = np.random.default_rng(len(ps)).permutation(p.size)
    np.testing.assert_allclose(adjust_pvalues(p[perm], method), adj[perm])


def test_empty_and_errors() -> None:
    assert adjust_pvalues([], "bh").size == 0
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, 1.2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([0.1, float("nan")])
    with pytest.raises(ValueError, match="method"):
        adjust_pvalues([0.1], "sidak")
