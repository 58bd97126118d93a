"""`calibration`: are a model's choice probabilities calibrated? ECE, Brier score and a reliability diagram.

Wraps any multiple-choice task (`mmlu`, `truthfulqa_mc`...). By log-likelihood (default), the softmax over
the choices' log-likelihoods gives the probability of each choice. With `mode="generate"` (chat endpoints
without log-likelihoods, e.g. OpenAI's chat API), the model answers with an option letter and the
probabilities come from the top log-probabilities of that letter's token (`top_logprobs=20`), renormalised
over the option letters; a letter outside the top 20 gets 0. Either way the model's answer is the most
likely choice and its confidence that probability. The analysis reports the expected calibration error
(10 equal-width bins, percentile bootstrap interval), the Brier score of the confidence against
correctness (t interval), the multiclass Brier score, and the reliability diagram's bins (count,
mean confidence, accuracy with a Wilson interval), which the suite report draws.
"""

from __future__ import annotations

import math
import string
from typing import Any

from assay.core.sample import LETTERS, Sample
from assay.core.task import Task, generates, task
from assay.errors import TaskError
from assay.models.base import GenerateConfig, Response
from assay.scorers.base import Score, Scorer
from assay.suites.alignment.truthfulqa import softmax

__all__ = [
    "CalibrationScorer",
    "LetterProbabilityScorer",
    "calibration",
    "calibration_analysis",
    "letter_probabilities",
    "reliability_bins",
]

N_BINS = 10


class CalibrationScorer(Scorer):
    """Per sample: `correct` (argmax is the target), `confidence` (its softmax probability), `brier` (multiclass)."""

    name = "calibration"
    request_kind = "loglikelihood"
    metrics = ("correct", "confidence", "brier")

    def score(self, sample: Sample, response: Response) -> Score:
        lls = response.loglikelihoods
        if response.error or lls is None or not sample.choices:
            return Score(dict.fromkeys(self.metrics, None), metadata={"error": response.error or "no choices"})
        return _choice_score(softmax(lls), sample.target_index())


def _choice_score(probs: list[float], target: int) -> Score:
    """`correct`, `confidence` and multiclass `brier` of the choice probabilities `probs`."""
    pick = max(range(len(probs)), key=probs.__getitem__)
    brier = sum((p - (i == target)) ** 2 for i, p in enumerate(probs))
    return Score(
        {"correct": float(pick == target), "confidence": probs[pick], "brier": brier},
        answer=string.ascii_uppercase[pick],
        metadata={"probs": probs},
    )


def letter_probabilities(tops: list[dict[str, float]], n_choices: int) -> list[float] | None:
    """The option letters' probabilities from the top log-probabilities of the first answer-letter token.

    The answer token is the first generated token whose text (stripped, without a trailing ".", ")" or
    ":") is one of the first `n_choices` letters; the mass of every top entry that reads as a letter is
    summed per letter and renormalised over the letters. None when no generated token is a letter.

    >>> import math
    >>> tops = [{" ": -0.1}, {"B": math.log(0.6), " B": math.log(0.1), "A": math.log(0.2), "Sure": -3.0}]
    >>> [round(p, 3) for p in letter_probabilities(tops, 3)]
    [0.222, 0.778, 0.0]
    """
    letters = LETTERS[:n_choices]

    def letter(token: str) -> str | None:
        text = token.strip().rstrip(".):")
        return text if len(text) == 1 and text in letters else None

    for top in tops:
        if letter(max(top, key=top.__getitem__)) is None:
            continue
        mass = dict.fromkeys(letters, 0.0)
        for token, logprob in top.items():
            if (found := letter(token)) is not None:
                mass[found] += math.exp(logprob)
        total = sum(mass.values())
        return [mass[c] / total for c in letters]
    return None


class LetterProbabilityScorer(Scorer):
    """Per sample, from a generated option letter's top log-probabilities: `correct`, `confidence`, `brier`."""

    name = "calibration_letters"
    request_kind = "generate"
    metrics = ("correct", "confidence", "brier")

    def score(self, sample: Sample, response: Response) -> Score:
        if response.error or not sample.choices:
            return Score(dict.fromkeys(self.metrics, None), metadata={"error": response.error or "no choices"})
        if response.top_logprobs is None:
            return Score(
                dict.fromkeys(self.metrics, None),
                metadata={"error": "the endpoint returned no top_logprobs (it needs logprobs=true, top_logprobs)"},
            )
        probs = letter_probabilities(response.top_logprobs, len(sample.choices))
        if probs is None:  # the model said something else first, or nothing
            return Score(dict.fromkeys(self.metrics, None), metadata={"error": "no option letter was generated"})
        return _choice_score(probs, sample.target_index())


def reliability_bins(confidence: list[float], correct: list[float], n_bins: int = N_BINS) -> list[dict[str, Any]]:
    """Equal-width bins on [0, 1], right-closed as in `assay.stats.calibration_error`.

    Each bin: its edges, count, mean confidence and accuracy (Wilson interval).
    """
    import numpy as np

    from assay.stats import mean_estimate
    from assay.stats.calibration import assign_bins, bin_edges

    p = np.asarray(confidence, dtype=float)
    edges = bin_edges(p, n_bins, "uniform")
    idx = assign_bins(p, edges)
    bins = []
    for b in range(n_bins):
        members = [i for i in range(len(p)) if idx[i] == b]
        entry: dict[str, Any] = {"low": float(edges[b]), "high": float(edges[b + 1]), "n": len(members)}
        if members:
            entry["confidence"] = float(np.mean(p[members]))
            entry["accuracy"] = mean_estimate([correct[i] for i in members]).to_dict()
        bins.append(entry)
    return bins


def calibration_analysis(records: list[dict[str, Any]]) -> dict[str, Any]:
    """ECE and Brier score with intervals, and the reliability diagram's bins."""
    from assay.stats import brier_score, calibration_error, calibration_test, mean_estimate
    from assay.suites.safety.common import sample_rows

    scored = sample_rows(records, ("correct", "confidence", "brier"))
    rows = [r for r in scored if r["confidence"] is not None]
    unreadable = len(scored) - len(rows)  # failed calls, or no choice probabilities in the answer
    if len(rows) < 2:
        return {"n": len(rows), "n_unreadable": unreadable}
    # epochs can make `correct` fractional; calibration needs 0/1 outcomes, so round the per-sample average
    correct = [float(round(r["correct"])) for r in rows]
    confidence = [min(1.0, max(0.0, float(r["confidence"]))) for r in rows]
    ece = calibration_error(confidence, correct, n_bins=N_BINS, ci=True)
    brier = brier_score(confidence, correct, ci=True)
    return {
        "ece": ece.to_dict() if not isinstance(ece, float) else ece,
        "calibration_test": calibration_test(confidence, correct, n_bins=N_BINS).to_dict(),
        "brier": brier.to_dict() if not isinstance(brier, float) else brier,
        "brier_multiclass": mean_estimate([float(r["brier"]) for r in rows], method="t").to_dict(),
        "accuracy": mean_estimate(correct).to_dict(),
        "mean_confidence": mean_estimate(confidence, method="t").to_dict(),
        "reliability": reliability_bins(confidence, correct),
        "n": len(rows),
        "n_unreadable": unreadable,
        "note": "ECE uses 10 equal-width bins; it is biased upwards in small samples (ECE > 0 even when "
        "calibrated): calibration_test gives the ECE a calibrated model would show and a p-value",
    }


@task
def calibration(base: str = "mmlu", base_args: str | None = None, mode: str = "loglikelihood") -> Task:
    """Calibration of a multiple-choice task's choice probabilities: ECE, Brier score, reliability diagram.

    `mode="generate"` reads the probabilities from the answer letter's top log-probabilities (chat endpoints).
    """
    from assay.core.discovery import resolve_task
    from assay.core.template import multiple_choice_template
    from assay.suites.alignment.sycophancy import _parse_args

    generate = generates("calibration", mode)
    base_task = resolve_task(base, _parse_args(base_args))
    if generate:
        return Task(
            dataset=[s for s in base_task.samples() if s.choices],
            template=multiple_choice_template(),
            scorer=LetterProbabilityScorer(),
            config=GenerateConfig(max_tokens=4, temperature=0.0, top_logprobs=20),
            cluster_by=base_task.cluster_by,
            analysis=calibration_analysis,
            version=base_task.version,
        )
    if base_task.scorer.request_kind != "loglikelihood":
        raise TaskError(
            f"task {base!r} is not scored by log-likelihood, so it has no choice probabilities",
            fix="use a multiple-choice log-likelihood task such as mmlu or truthfulqa_mc, or -T mode=generate",
        )
    return Task(
        dataset=base_task.dataset,
        template=base_task.template,
        scorer=CalibrationScorer(),
        cluster_by=base_task.cluster_by,
        analysis=calibration_analysis,
        version=base_task.version,
    )
