"""Scorers: every one is called the same way, `scorer.score(sample, response) -> Score`.

>>> from assay.scorers import exact_match, letter_choice, choice, token_f1, model_graded
"""

from assay.scorers.base import Score, Scorer
from assay.scorers.choice import ChoiceScorer, choice
from assay.scorers.extraction import (
    LetterChoice,
    NumericMatch,
    letter_choice,
    numeric_match,
)
from assay.scorers.f1 import TokenF1, token_f1
from assay.scorers.judge import ModelGraded, model_graded
from assay.scorers.match import ExactMatch, Includes, RegexMatch, exact_match, includes, regex_match

__all__ = [
    "ChoiceScorer",
    "ExactMatch",
    "Includes",
    "LetterChoice",
    "ModelGraded",
    "NumericMatch",
    "RegexMatch",
    "Score",
    "Scorer",
    "TokenF1",
    "choice",
    "exact_match",
    "includes",
    "letter_choice",
    "model_graded",
    "numeric_match",
    "regex_match",
    "token_f1",
]
