"""`RubricJudge`: the plumbing shared by judges that read a verdict format of their own.

`refusal_judge` and `strongreject` ask a judge model with a versioned rubric, as `model_graded` does
(which builds the judge lazily and renders the rubric), but read a three-way label or three item
scores instead of one grade. This base renders the prompt, calls the judge, records the raw reply and
rubric version, leaves a sample's metrics missing when the judge fails or its verdict cannot be read,
and states the rubric and judge in the spec. A subclass names its rubrics and metrics, and implements
`parse` (reply -> verdict) and `verdict_score` (verdict -> Score). `rubric` is a version of `rubrics`
(default `default_rubric`) or a custom Jinja2 text, whose version is its content hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from assay.core.sample import Sample
from assay.models.base import GenerateConfig, Model, Response
from assay.scorers.base import Score, Scorer
from assay.scorers.judge import ModelGraded, rubric_version

__all__ = ["RubricJudge", "judged_sample"]

V = TypeVar("V")


def judged_sample(sample: Sample) -> Sample:
    """The sample as a judge should see it: an attacked prompt is judged against the original request."""
    request = sample.metadata.get("request")
    if isinstance(request, str):
        return Sample(input=request, target=sample.target, id=sample.id, metadata=sample.metadata)
    return sample


class RubricJudge(Scorer, Generic[V]):
    """A judge-model scorer with a versioned rubric and a verdict format of its own (see the module)."""

    rubrics: ClassVar[Mapping[str, str]] = {}  # built-in rubrics by version
    default_rubric: ClassVar[str] = ""
    judge_max_tokens: ClassVar[int | None] = None  # None: model_graded's default
    is_async = True

    def __init__(
        self,
        judge: str | Model,
        *,
        rubric: str | None = None,
        judge_args: Mapping[str, Any] | None = None,
        judge_config: GenerateConfig | None = None,
    ) -> None:
        if judge_config is None and self.judge_max_tokens is not None:
            judge_config = GenerateConfig(max_tokens=self.judge_max_tokens, temperature=0.0)
        rubric = rubric if rubric is not None else self.default_rubric
        self.rubric_version = rubric_version(rubric, self.rubrics)
        self._graded = ModelGraded(
            judge, rubric_template=self.rubrics.get(rubric, rubric), judge_args=judge_args, judge_config=judge_config
        )
        self._graded.rubric_version = self.rubric_version

    def parse(self, text: str) -> V | None:
        """The verdict in the judge's reply, or None when it cannot be read."""
        raise NotImplementedError

    def verdict_score(self, verdict: V, meta: dict[str, Any]) -> Score:
        """The score of a verdict; `meta` (raw reply, rubric version) is its metadata."""
        raise NotImplementedError

    def _missing(self, meta: dict[str, Any]) -> Score:
        return Score(dict.fromkeys(self.metrics, None), metadata=meta)

    async def ascore(self, sample: Sample, response: Response) -> Score:
        if response.error:
            return self._missing({"error": response.error})
        from assay.models.base import generate_one

        model = await self._graded._model()
        reply = await generate_one(model, self._graded.judge_request(judged_sample(sample), response))
        meta: dict[str, Any] = {"judge_raw": reply.text, "rubric_version": self.rubric_version}
        if reply.error:
            return self._missing({**meta, "judge_error": reply.error})
        verdict = self.parse(reply.text)
        meta["grade_parsed"] = verdict is not None
        if verdict is None:
            # An unreadable verdict is missing data, not a refusal: it stays out of the rates.
            return self._missing(meta)
        return self.verdict_score(verdict, meta)

    def score(self, sample: Sample, response: Response) -> Score:
        raise RuntimeError(f"{self.name} calls a judge model: await ascore(sample, response) instead")

    def spec(self) -> dict[str, Any]:
        inner = self._graded.spec()
        keep = ("judge", "rubric_sha256", "judge_config", "judge_args")
        return {
            **super().spec(),
            **{k: inner[k] for k in keep},
            "rubric_version": self.rubric_version,
            "rubric": self._graded.rubric,
        }
