"""Agreement: published worked examples (Krippendorff 2011, Fleiss 1971) and statsmodels oracles."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from assay.stats import Estimate, cohen_kappa, fleiss_kappa, krippendorff_alpha

nan = float("nan")
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders x 12 units with missing values.
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
# Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories; kappa = 0.210.
FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_published_example(level: str, published: float) -> None:
    assert round(krippendorff_alpha(KRIPPENDORFF, level), 3) == published  # type: ignore[arg-type]


def test_krippendorff_ci() -> None:
    e = krippendorff_alpha(KRIPPENDORFF, "interval", ci=True, n_resamples=1000)
    assert isinstance(e, Estimate)
    assert e.ci_low < e.value <= e.ci_high <= 1.0 and e.n == 11  # unit 12 has one rating: not pairable
    again = krippendorff_alpha(KRIPPENDORFF, "interval", ci=True, n_resamples=1000)
    assert again == e


def test_krippendorff_nominal_equals_fleiss_like_limit_and_perfect_agreement() -> None:
    assert krippendorff_alpha([[1, 2, 3, 1], [1, 2, 3, 1]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one value"):
        krippendorff_alpha([[1, 1, 1], [1, 1, 1]])
    with pytest.raises(ValueError, match="two or more"):
        krippendorff_alpha([[1, None], [None, 2]])
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(KRIPPENDORFF, "cardinal")
    with pytest.raises(ValueError, match="coders x units"):
        krippendorff_alpha([1, 2, 3])


def test_krippendorff_two_coders_nominal_closed_form() -> None:
    # 2 coders, no missing data: alpha = 1 - (n-1)(1-A_o) / (n(1 - sum p_c^2)), n = pairable values; ~ Scott's pi
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 200)
    b = np.where(rng.random(200) < 0.7, a, rng.integers(0, 3, 200))
    alpha = krippendorff_alpha([a, b])
    n = 2 * 200
    p = np.bincount(np.concatenate([a, b]), minlength=3) / n
    ao = np.mean(a == b)
    assert alpha == pytest.approx(1 - (n - 1) * (1 - ao) / (n * (1 - np.sum(p**2))))
    scott_pi = (ao - np.sum(p**2)) / (1 - np.sum(p**2))
    assert abs(alpha - scott_pi) < 0.01


def test_fleiss_published_example() -> None:
    assert round(fleiss_kappa(FLEISS), 3) == 0.210
    assert fleiss_kappa(FLEISS) == pytest.approx(sm_fleiss_kappa(np.array(FLEISS), method="fleiss"))


def test_fleiss_random_tables_match_statsmodels() -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        t = rng.multinomial(6, rng.dirichlet(np.ones(4)), size=30)
        assert fleiss_kappa(t) == pytest.approx(sm_fleiss_kappa(t, method="fleiss"))


def test_fleiss_errors() -> None:
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[1, 1], [2, 1]])
    with pytest.raises(ValueError, match="one category"):
        fleiss_kappa([[3, 0], [3, 0]])


def _table(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    labels, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    k = labels.size
    return np.bincount(codes[: a.size] * k + codes[a.size :], minlength=k * k).reshape(k, k)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_statsmodels(weights: str | None) -> None:
    rng = np.random.default_rng(2)
    a = rng.integers(0, 4, 300)
    b = np.clip(a + rng.integers(-1, 2, 300), 0, 3)
    ref = sm_cohens_kappa(_table(a, b), wt=weights, return_results=False)
    assert cohen_kappa(a, b, weights=weights) == pytest.approx(ref)


def test_cohen_kappa_xstest_annotators(xstest: dict[str, dict[str, np.ndarray]]) -> None:
    for model, d in xstest.items():
        a, b = d["ann1"], d["ann2"]
        ref = sm_cohens_kappa(_table(a, b), return_results=False)
        k = cohen_kappa(a, b)
        assert k == pytest.approx(ref), model
        assert k > 0.6  # the two XSTest annotators agree well


def test_cohen_kappa_errors() -> None:
    with pytest.raises(ValueError, match="equal length"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="one and the same label"):
        cohen_kappa(["y", "y"], ["y", "y"])
    with pytest.raises(ValueError, match="weights"):
        cohen_kappa([1, 2], [1, 2], weights="cubic")


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_interval_matches_statsmodels(weights: str | None) -> None:
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, 200)
    b = np.where(rng.random(200) < 0.6, a, rng.integers(0, 3, 200))
    table = np.zeros((3, 3))
    np.add.at(table, (a, b), 1)
    ref = sm_kappa(table, wt=weights) if weights else sm_kappa(table)
    e = cohen_kappa(a, b, weights=weights, ci=True)
    assert e.value == pytest.approx(ref.kappa) and e.se == pytest.approx(ref.std_kappa, rel=1e-10)
    assert (e.ci_low, e.ci_high) == pytest.approx((ref.kappa_low, ref.kappa_upp), rel=1e-10)


def test_cohen_kappa_interval_covers_the_population_kappa() -> None:
    # Two raters with a known joint distribution of three labels: the population kappa is computed from it.
    joint = np.array([[0.30, 0.05, 0.02], [0.04, 0.25, 0.06], [0.03, 0.05, 0.20]])
    rows, cols = joint.sum(axis=1), joint.sum(axis=0)
    truth = (np.trace(joint) - rows @ cols) / (1 - rows @ cols)
    rng = np.random.default_rng(1)
    runs, n = 600, 150
    hits = 0
    for _ in range(runs):
        cells = rng.choice(9, size=n, p=joint.ravel())
        e = cohen_kappa(cells // 3, cells % 3, ci=True)
        hits += e.ci_low <= truth <= e.ci_high
    assert hits / runs >= 0.93


def test_fleiss_kappa_needs_two_subjects() -> None:
    with pytest.raises(ValueError, match="at least 2 subjects"):
        fleiss_kappa([[1, 1]])  # was -1.0, silently
