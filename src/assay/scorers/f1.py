"""`token_f1`: SQuAD-style token overlap between the response and the best-matching target.

Both texts are normalised as the official SQuAD v1.1 script does (lower case, punctuation
and the articles a/an/the removed, whitespace collapsed) before counting shared tokens.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

from assay.core.sample import Sample
from assay.models.base import Response
from assay.scorers.base import Score, Scorer
from assay.scorers.match import targets_of

__all__ = ["TokenF1", "normalize_answer", "token_f1", "token_f1_score"]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation.

    >>> normalize_answer("The  Eiffel Tower!")
    'eiffel tower'
    """
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def token_f1_score(prediction: str, target: str) -> float:
    """F1 of the normalised token multisets; two empty answers agree (1.0), one empty scores 0.

    >>> round(token_f1_score("the big red dog", "a red dog"), 3)
    0.8
    """
    pred, gold = normalize_answer(prediction).split(), normalize_answer(target).split()
    if not pred or not gold:
        return float(pred == gold)
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


class TokenF1(Scorer):
    """Metrics "f1" (token overlap) and "exact_match" (normalised equality), each the max over targets."""

    name = "token_f1"
    metrics = ("f1", "exact_match")

    def score(self, sample: Sample, response: Response) -> Score:
        targets = targets_of(sample) or [""]
        f1s = [token_f1_score(response.text, t) for t in targets]
        best = max(range(len(targets)), key=f1s.__getitem__)
        exact = any(normalize_answer(response.text) == normalize_answer(t) for t in targets)
        meta: dict[str, Any] = {"best_target": targets[best]}
        if response.error:
            meta["error"] = response.error
        return Score({"f1": f1s[best], "exact_match": float(exact)}, answer=response.text.strip(), metadata=meta)


def token_f1() -> TokenF1:
    """SQuAD-style token F1 (and normalised exact match), the max over the acceptable answers.

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> token_f1().score(Sample(input="?", target=["Denver Broncos", "Broncos"]), Response("the Broncos")).value
    {'f1': 1.0, 'exact_match': 1.0}
    """
    return TokenF1()
