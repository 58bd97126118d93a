"""`calibration`: are a model's choice probabilities calibrated? ECE, Brier score and a reliability diagram.

Wraps any multiple-choice log-likelihood task (`mmlu`, `truthfulqa_mc`...). The softmax over the
choices' log-likelihoods gives the probability of each choice; the model's answer is the most likely
choice and its confidence that probability. The analysis reports the expected calibration error
(10 equal-width bins, percentile bootstrap interval), the Brier score of the confidence against
correctness (t interval), the multiclass Brier score, and the reliability diagram's bins (count,
mean confidence, accuracy with a Wilson interval), which the suite report draws.
"""

from __future__ import annotations

import string
from typing import Any

from assay.core.sample import Sample
from assay.core.task import Task, task
from assay.errors import TaskError, TaskUnavailable
from assay.models.base import Response
from assay.scorers.base import Score, Scorer
from assay.suites.alignment.truthfulqa import softmax

__all__ = ["CalibrationScorer", "calibration", "calibration_analysis", "reliability_bins"]

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
        probs = softmax(lls)
        pick = max(range(len(probs)), key=probs.__getitem__)
        target = sample.target_index()
        brier = sum((p - (i == target)) ** 2 for i, p in enumerate(probs))
        return Score(
            {"correct": float(pick == target), "confidence": probs[pick], "brier": brier},
            answer=string.ascii_uppercase[pick],
            metadata={"probs": probs},
        )


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
    from assay.stats import brier_score, calibration_error, mean_estimate
    from assay.suites.safety.common import sample_rows

    rows = [r for r in sample_rows(records, ("correct", "confidence", "brier")) if r["confidence"] is not None]
    if len(rows) < 2:
        return {"n": len(rows)}
    # epochs can make `correct` fractional; calibration needs 0/1 outcomes, so round the per-sample average
    correct = [float(round(r["correct"])) for r in rows]
    confidence = [min(1.0, max(0.0, float(r["confidence"]))) for r in rows]
    ece = calibration_error(confidence, correct, n_bins=N_BINS, ci=True)
    brier = brier_score(confidence, correct, ci=True)
    return {
        "ece": ece.to_dict() if not isinstance(ece, float) else ece,
        "brier": brier.to_dict() if not isinstance(brier, float) else brier,
        "brier_multiclass": mean_estimate([float(r["brier"]) for r in rows], method="t").to_dict(),
        "accuracy": mean_estimate(correct).to_dict(),
        "mean_confidence": mean_estimate(confidence, method="t").to_dict(),
        "reliability": reliability_bins(confidence, correct),
        "n": len(rows),
        "note": "ECE uses 10 equal-width bins; it is biased upwards in small samples (ECE > 0 even when calibrated)",
    }


@task
def calibration(base: str = "mmlu", base_args: str | None = None, mode: str = "loglikelihood") -> Task:
    """Calibration of a multiple-choice log-likelihood task: ECE, Brier score, reliability diagram.

    It needs every choice's probability, which only log-likelihood scoring gives: `mode="generate"` (a chat
    endpoint without log-probabilities) makes it unavailable, and a suite run skips it saying so.
    """
    from assay.core.discovery import resolve_task
    from assay.suites.alignment.sycophancy import _parse_args

    if mode != "loglikelihood":
        raise TaskUnavailable(
            "calibration needs each choice's probability, which only log-likelihood scoring gives",
            fix="run calibration on an endpoint with log-probabilities (the hf provider, or vLLM's /completions)",
        )
    base_task = resolve_task(base, _parse_args(base_args))
    if base_task.scorer.request_kind != "loglikelihood":
        raise TaskError(
            f"task {base!r} is not scored by log-likelihood, so it has no choice probabilities",
            fix="use a multiple-choice log-likelihood task such as mmlu or truthfulqa_mc",
        )
    return Task(
        dataset=base_task.dataset,
        template=base_task.template,
        scorer=CalibrationScorer(),
        cluster_by=base_task.cluster_by,
        analysis=calibration_analysis,
        version=base_task.version,
    )
