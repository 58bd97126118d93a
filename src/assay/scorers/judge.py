"""`model_graded`: a judge model grades each answer against the reference, using a versioned rubric.

The judge sees the question, the reference answer and the model's answer, rendered into a
rubric template (Jinja2), and replies in free text ending in a grade; a regular expression
reads the grade and `grades` maps it to a number. The judge's raw reply is kept in
`Score.metadata["judge_raw"]` and the rubric's version and hash go into the spec, so a judged
run can be audited and re-graded. An unparseable reply scores 0 with `grade_parsed: False`
rather than stopping the run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from assay.core.jinja import compile_jinja, render_jinja
from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.models.base import GenerateConfig, Model, Request, Response
from assay.scorers.base import Score, Scorer

__all__ = ["DEFAULT_GRADE_PATTERN", "RUBRICS", "ModelGraded", "model_graded"]

QA_RUBRIC_V1 = """\
You are assessing a submitted answer to a question, comparing it with a reference answer.

[BEGIN DATA]
************
[Question]: {{ question }}
************
[Reference answer]: {{ target }}
************
[Submission]: {{ answer }}
************
[END DATA]

Does the submission answer the question as the reference does? Ignore differences of style,
grammar and punctuation; judge only the content. Explain your reasoning in a few sentences,
then end your reply with a line of the form "GRADE: X", where X is C if the submission is
correct, P if it is partially correct, and I if it is incorrect.
"""

RUBRICS: dict[str, str] = {"qa-v1": QA_RUBRIC_V1}
"""Built-in rubrics by version. A rubric's text never changes once released; a new one gets a new version."""

DEFAULT_GRADE_PATTERN = r"GRADE\s*:\s*\**\s*([CPI])\b"


def rubric_version(rubric: str, known: Mapping[str, str]) -> str:
    """A built-in rubric's version, or "custom-" and 12 hex digits of a custom rubric text's SHA-256.

    >>> rubric_version("qa-v1", RUBRICS), rubric_version("Judge {{ answer }}", RUBRICS)
    ('qa-v1', 'custom-ea1df61a88be')
    """
    return rubric if rubric in known else "custom-" + hashlib.sha256(rubric.encode()).hexdigest()[:12]


def _question_text(sample: Sample) -> str:
    if isinstance(sample.input, str):
        return sample.input
    users = [m["content"] for m in sample.input if m.get("role") == "user"]
    return users[-1] if users else "\n".join(m["content"] for m in sample.input)


class ModelGraded(Scorer):
    """A scorer that asks a judge model for a grade (see `model_graded`)."""

    name = "model_graded"
    is_async = True

    def __init__(
        self,
        judge: str | Model,
        *,
        rubric_template: str = "qa-v1",
        grade_pattern: str = DEFAULT_GRADE_PATTERN,
        grades: Mapping[str, float] | None = None,
        judge_args: Mapping[str, Any] | None = None,
        judge_config: GenerateConfig | None = None,
        metric: str = "accuracy",
    ) -> None:
        self.rubric = RUBRICS.get(rubric_template, rubric_template)
        self.rubric_version = rubric_version(rubric_template, RUBRICS)
        self._rubric = compile_jinja(self.rubric, "the judge rubric", f"rubric {self.rubric_version}")
        try:
            self._grade_re = re.compile(grade_pattern)
        except re.error as e:
            raise ConfigError(f"invalid grade_pattern {grade_pattern!r}: {e}", where="model_graded") from None
        self.grade_pattern = grade_pattern
        self.grades = dict(grades if grades is not None else {"C": 1.0, "P": 0.5, "I": 0.0})
        self.judge_args = dict(judge_args or {})
        self.judge_config = judge_config or GenerateConfig(max_tokens=512, temperature=0.0)
        self.metrics = (metric,)
        self.metric = metric
        self._judge_name = judge if isinstance(judge, str) else judge.name
        self._judge: Model | None = None if isinstance(judge, str) else judge

    async def _model(self) -> Model:
        # Built on first use, so defining a task never needs the judge's provider or its API key.
        # No lock: nothing between the check and the assignment awaits, so tasks cannot interleave.
        if self._judge is None:
            from assay.models.registry import ModelOptions, get_model

            args = dict(self.judge_args)
            known = {k: args.pop(k) for k in ("base_url", "max_connections", "timeout", "max_retries") if k in args}
            model_args = {str(k): str(v) for k, v in args.pop("model_args", {}).items()}
            model_args.update({str(k): str(v) for k, v in args.items()})
            self._judge = get_model(self._judge_name, ModelOptions(model_args=model_args, **known))
        return self._judge

    def prompt(self, sample: Sample, response: Response) -> str:
        """The judge's prompt for one answer."""
        target = sample.target if isinstance(sample.target, str) else " | ".join(sample.target)
        variables = {
            "question": _question_text(sample),
            "target": target,
            "answer": response.text,
            "choices": list(sample.choices or []),
            "metadata": sample.metadata,
        }
        return render_jinja(self._rubric, variables, "the judge rubric", f"rubric {self.rubric_version}", sample.id)

    def judge_request(self, sample: Sample, response: Response) -> Request:
        """The judge's request for one answer: the rendered rubric as a user turn."""
        return Request("generate", [{"role": "user", "content": self.prompt(sample, response)}], self.judge_config)

    def parse(self, text: str) -> tuple[str | None, float | None]:
        """The grade in the judge's reply (the last match wins) and its value, or (None, None)."""
        matches = list(self._grade_re.finditer(text))
        if not matches:
            return None, None
        last = matches[-1]
        grade = last.group(1) if self._grade_re.groups else last.group(0)
        for key in (grade, grade.strip(), grade.strip().upper()):
            if key in self.grades:
                return key, float(self.grades[key])
        return grade, None

    def score(self, sample: Sample, response: Response) -> Score:
        raise RuntimeError("model_graded calls a model: await ascore(sample, response) instead")

    async def ascore(self, sample: Sample, response: Response) -> Score:
        if response.error:
            return Score({self.metric: 0.0}, metadata={"error": response.error, "judged": False})
        model = await self._model()
        judged: Response | None = None
        async for _, reply in model.generate([self.judge_request(sample, response)]):
            judged = reply
        if judged is None or judged.error:
            error = judged.error if judged is not None else "the judge returned no response"
            return Score({self.metric: 0.0}, metadata={"judge_error": error, "judge_raw": "", "grade_parsed": False})
        grade, value = self.parse(judged.text)
        meta: dict[str, Any] = {"judge_raw": judged.text, "grade": grade, "grade_parsed": value is not None}
        return Score({self.metric: value if value is not None else 0.0}, answer=response.text.strip(), metadata=meta)

    def spec(self) -> dict[str, Any]:
        return {
            **super().spec(),
            "judge": self._judge_name,
            "rubric_version": self.rubric_version,
            "rubric_sha256": hashlib.sha256(self.rubric.encode()).hexdigest(),
            "grade_pattern": self.grade_pattern,
            "grades": self.grades,
            "judge_config": self.judge_config.to_dict(),
            # Only the keys: values such as a base URL may carry credentials.
            "judge_args": sorted(self.judge_args),
        }


def model_graded(
    judge: str | Model,
    *,
    rubric_template: str = "qa-v1",
    grade_pattern: str = DEFAULT_GRADE_PATTERN,
    grades: Mapping[str, float] | None = None,
    judge_args: Mapping[str, Any] | None = None,
    judge_config: GenerateConfig | None = None,
    metric: str = "accuracy",
) -> ModelGraded:
    """Grade answers with a judge model.

    `judge` is a model string ("openai/gpt-4o-mini") or a `Model`. `rubric_template` is a
    built-in rubric version (see `RUBRICS`) or your own Jinja2 text with `question`, `target`,
    `answer`, `choices` and `metadata`; a custom rubric's version is its content hash.
    `grade_pattern` reads the grade (group 1, last match) and `grades` maps it to a value
    (default C=1, P=0.5, I=0). `judge_args` go to the provider: base_url, timeout,
    max_connections, max_retries, and anything else as a model argument.

    >>> scorer = model_graded("openai/gpt-4o-mini", judge_args={"base_url": "http://localhost:8000/v1"})
    >>> scorer.spec()["rubric_version"]
    'qa-v1'
    """
    return ModelGraded(
        judge,
        rubric_template=rubric_template,
        grade_pattern=grade_pattern,
        grades=grades,
        judge_args=judge_args,
        judge_config=judge_config,
        metric=metric,
    )
