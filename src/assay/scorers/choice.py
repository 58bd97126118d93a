"""`choice`: multiple choice scored by log-likelihood (metrics "acc" and "acc_norm").

The model scores every choice's continuation after the same context; the prediction is the
choice with the highest summed log-probability ("acc"). "acc_norm" divides each
log-likelihood by the continuation's length in UTF-8 bytes before taking the argmax, so long
choices are not penalised for having more tokens. This is lm-eval-harness's acc_norm (it
divides by the string length, which is the byte length for ASCII text). With the default
label continuations (" A", " B", ...) all lengths are equal and acc_norm equals acc; it matters
with `continuations="choices"`, where each continuation is " " + the choice's text.
"""

from __future__ import annotations

import string
from typing import Any

from assay.core.sample import Sample
from assay.core.template import Continuations, Template, continuation_texts
from assay.errors import ConfigError
from assay.models.base import Response
from assay.scorers.base import Score, Scorer

__all__ = ["ChoiceScorer", "choice"]


def _argmax(values: list[float]) -> int:
    # First maximum on ties, like numpy.argmax, so results match lm-eval's.
    return max(range(len(values)), key=values.__getitem__)


class ChoiceScorer(Scorer):
    """Argmax of `response.loglikelihoods` against `sample.target_index()`."""

    name = "choice"
    request_kind = "loglikelihood"
    metrics = ("acc", "acc_norm")

    def __init__(
        self,
        *,
        continuations: Continuations = "labels",
        target_format: str = " {label}",
        choice_labels: str = string.ascii_uppercase,
    ) -> None:
        self.continuations: Continuations = continuations
        self.target_format = target_format
        self.choice_labels = choice_labels

    def score(self, sample: Sample, response: Response) -> Score:
        if not sample.choices:
            raise ConfigError(
                f"sample {sample.id} has no choices, but the choice scorer needs them",
                where="scorer choice",
                fix="give the dataset a choices field, or use a generation scorer such as exact_match",
            )
        lls = response.loglikelihoods
        if response.error or lls is None:
            return Score(
                {"acc": 0.0, "acc_norm": 0.0},
                answer=None,
                metadata={"error": response.error or "no log-likelihoods in the response"},
            )
        if len(lls) != len(sample.choices):
            raise ConfigError(
                f"sample {sample.id}: {len(lls)} log-likelihoods for {len(sample.choices)} choices",
                where="scorer choice",
                fix="the template must produce one continuation per choice",
            )
        # the runner attaches the continuations actually scored; the scorer's own settings are the fallback
        texts = response.continuations or continuation_texts(
            sample, self.continuations, target_format=self.target_format, choice_labels=self.choice_labels
        )
        normed = [ll / max(1, len(t.encode("utf-8"))) for ll, t in zip(lls, texts, strict=True)]
        pick, pick_norm = _argmax(list(lls)), _argmax(normed)
        target = sample.target_index()
        labels = self.choice_labels
        meta: dict[str, Any] = {"loglikelihoods": list(lls), "acc_norm_answer": labels[pick_norm]}
        if response.is_greedy is not None:
            meta["is_greedy"] = list(response.is_greedy)
        return Score(
            {"acc": float(pick == target), "acc_norm": float(pick_norm == target)},
            answer=labels[pick],
            metadata=meta,
        )

    def spec(self) -> dict[str, Any]:
        return {
            **super().spec(),
            "continuations": self.continuations,
            "target_format": self.target_format,
            "choice_labels": self.choice_labels,
            "acc_norm": "loglikelihood / utf-8 byte length of the continuation",
        }


def choice(
    *,
    continuations: Continuations = "labels",
    target_format: str = " {label}",
    choice_labels: str = string.ascii_uppercase,
    template: Template | None = None,
) -> ChoiceScorer:
    """Multiple choice by log-likelihood; `Score.answer` is the chosen label.

    The continuation settings must match the template's (they set the byte lengths used by
    acc_norm); pass `template=` to copy them from the task's template.

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> s = Sample(input="Sky colour?", choices=["green", "blue"], target="B")
    >>> choice().score(s, Response(loglikelihoods=[-3.2, -0.4])).value
    {'acc': 1.0, 'acc_norm': 1.0}
    """
    if template is not None:
        continuations, target_format = template.continuations, template.target_format
        choice_labels = template.choice_labels
    return ChoiceScorer(continuations=continuations, target_format=target_format, choice_labels=choice_labels)
