"""token_f1 against hand-computed SQuAD values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assay.core.sample import Sample
from assay.models.base import Response
from assay.scorers import token_f1
from assay.scorers.f1 import normalize_answer, token_f1_score


def test_normalisation_matches_squad() -> None:
    assert normalize_answer("The Denver Broncos!") == "denver broncos"
    assert normalize_answer("  an   apple, a day ") == "apple day"


@pytest.mark.parametrize(
    ("pred", "gold", "f1"),
    [
        ("Denver Broncos", "Denver Broncos", 1.0),
        ("the Broncos", "Denver Broncos", 2 / 3),  # p=1, r=1/2
        ("Carolina Panthers", "Denver Broncos", 0.0),
        ("", "", 1.0),
        ("", "Broncos", 0.0),
        ("broncos broncos", "broncos", 2 / 3),  # multiset overlap: p=1/2, r=1
    ],
)
def test_token_f1_values(pred: str, gold: str, f1: float) -> None:
    assert token_f1_score(pred, gold) == pytest.approx(f1)


def test_scorer_takes_max_over_targets() -> None:
    sample = Sample(input="Who won Super Bowl 50?", target=["Denver Broncos", "Broncos", "the Denver Broncos"])
    score = token_f1().score(sample, Response(text="The Broncos."))
    assert score.value == {"f1": 1.0, "exact_match": 1.0} and score.metadata["best_target"] == "Broncos"
    partial = token_f1().score(Sample(input="?", target="Denver Broncos"), Response(text="Broncos won"))
    assert partial.value["f1"] == pytest.approx(0.5) and partial.value["exact_match"] == 0.0
    assert token_f1().spec()["metrics"] == ["f1", "exact_match"]


@given(st.text(max_size=60), st.text(max_size=60))
def test_property_symmetric_and_bounded(a: str, b: str) -> None:
    f = token_f1_score(a, b)
    assert 0.0 <= f <= 1.0 and f == pytest.approx(token_f1_score(b, a))
    assert token_f1_score(a, a) == 1.0
