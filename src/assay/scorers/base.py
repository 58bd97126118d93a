"""`Score` and the `Scorer` base class: every scorer has the same call signature.

A scorer says which kind of request it needs (`request_kind`) and turns a sample and
the model's response into a `Score`, whose `value` maps each metric name to this
sample's number (1.0/0.0 for accuracy). Scorers that call a model (judges) override
`ascore`; the runner awaits `ascore` only for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.core.sample import Sample
from assay.models.base import RequestKind, Response


@dataclass(slots=True)
class Score:
    value: dict[str, float | None]  # None: this metric does not apply to this sample (it is left out)
    answer: str | None = None
    explanation: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value}
        if self.answer is not None:
            d["answer"] = self.answer
        if self.explanation is not None:
            d["explanation"] = self.explanation
        if self.metadata:
            d["metadata"] = self.metadata
        return d


class Scorer:
    """Base class. Subclasses set `name`, `request_kind`, `metrics` and implement `score`."""

    name: str = "scorer"
    request_kind: RequestKind = "generate"
    metrics: tuple[str, ...] = ("accuracy",)
    is_async: bool = False

    def score(self, sample: Sample, response: Response) -> Score:
        raise NotImplementedError

    async def ascore(self, sample: Sample, response: Response) -> Score:
        return self.score(sample, response)

    def spec(self) -> dict[str, Any]:
        """What this scorer is and how it is configured, for the run's spec.json."""
        return {"name": self.name, "request_kind": self.request_kind, "metrics": list(self.metrics)}
