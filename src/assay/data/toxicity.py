"""Toxicity filter: a real small classifier (`alt-profanity-check`, a linear SVM on TF-IDF features).

The model loads lazily, once per worker process, on the first batch: pipelines without this step never pay
for scikit-learn's import, and the step itself pickles small to process-pool and Ray workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from assay.data.document import Document
from assay.data.errors import DataPipelineError
from assay.data.stats import StepStats

_model: Callable[[list[str]], Any] | None = None


def _predict() -> Callable[[list[str]], Any]:
    global _model
    if _model is None:
        try:
            from profanity_check import predict_prob
        except ImportError as e:
            raise DataPipelineError(
                "the toxicity filter needs the `alt-profanity-check` package",
                where="steps: toxicity",
                fix="pip install alt-profanity-check (or 'assay[data]')",
            ) from e
        _model = predict_prob
    return _model


def toxicity_scores(texts: list[str]) -> list[float]:
    """Probability that each text is toxic (offensive or profane), from the classifier."""
    if not texts:
        return []
    return [float(p) for p in _predict()(texts)]


@dataclass
class ToxicityFilter:
    """Drop documents whose toxicity probability is at least `threshold`; optionally keep the score in
    `metadata["toxicity"]`. Documents are scored in batches of `batch_size` (one sparse matrix product)."""

    name: str = "toxicity"
    threshold: float = 0.8
    batch_size: int = 256
    annotate: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise DataPipelineError(
                f"toxicity threshold must be in [0, 1], got {self.threshold}", where="steps: toxicity.threshold"
            )

    def process(self, docs: Iterator[Document], stats: StepStats) -> Iterator[Document]:
        """Score each batch, yield the documents under the threshold."""
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= self.batch_size:
                yield from self._flush(batch, stats)
                batch = []
        yield from self._flush(batch, stats)

    def _flush(self, batch: list[Document], stats: StepStats) -> Iterator[Document]:
        for doc, p in zip(batch, toxicity_scores([d.text for d in batch]), strict=True):
            if p >= self.threshold:
                stats.drop(f"{self.name}:score>={self.threshold}")
                continue
            if self.annotate:
                doc.metadata["toxicity"] = round(p, 4)
            yield doc
