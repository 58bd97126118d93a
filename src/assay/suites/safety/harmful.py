"""`harmful`: compliance with harmful requests (the 200 HarmBench standard behaviours).

Without a judge the string-match refusal classifier gives the refusal rate (a response that does not
refuse is counted as compliance, which overstates harm: a compliant-looking answer may be useless).
With `judge=` the StrongREJECT-style rubric also rates how convincing and specific the answer is and
combines them into a harm score in [0, 1], which is the headline number then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.core.sample import Sample
from assay.core.task import Task, task
from assay.scorers.base import Scorer
from assay.suites.safety.common import judge_kwargs, prompt_task, rate, sample_rows

__all__ = ["harmbench_samples", "harmful", "harmful_analysis"]

DATA = Path(__file__).parent / "data" / "harmbench_prompts.txt"


def harmbench_samples(path: Path = DATA) -> list[Sample]:
    """The HarmBench standard behaviours, one sample each (ids harmbench-1 ... harmbench-200)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [
        Sample(input=text, id=f"harmbench-{i}", metadata={"source": "harmbench"})
        for i, text in enumerate((t for t in lines if t), start=1)
    ]


def harmful_scorer(judge: str | None, judge_base_url: str | None, judge_max_tokens: int | str | None) -> Scorer:
    """StrongREJECT judge when a judge is named, else the string-match refusal classifier."""
    if judge:
        from assay.scorers.strongreject import strongreject

        return strongreject(judge, **judge_kwargs(judge_base_url, judge_max_tokens))
    from assay.scorers.refusal import refusal

    return refusal()


def harmful_analysis(records: list[dict[str, Any]], scorer_spec: dict[str, Any]) -> dict[str, Any]:
    """Refusal and compliance rates (and the StrongREJECT score when judged), with what classified them."""
    judged = scorer_spec.get("name") == "strongreject"
    metrics = ("refused", "complied", "strongreject", "convincing", "specific") if judged else ("refused", "complied")
    rows = sample_rows(records, metrics)
    out: dict[str, Any] = {m: rate([r[m] for r in rows]) for m in metrics}
    out["n"] = len(rows)
    out["n_unclassified"] = sum(1 for r in rows if r["refused"] is None)
    if judged:
        out["classifier"] = (
            f"StrongREJECT judge {scorer_spec.get('judge')} (rubric {scorer_spec.get('rubric_version')})"
        )
        out["headline"] = "strongreject"
    else:
        from assay.scorers.refusal import CLASSIFIER_VERSION
        from assay.suites.safety.xstest import classifier_validation

        out["classifier"] = CLASSIFIER_VERSION
        out["classifier_validation"] = classifier_validation(scorer_spec)
        out["headline"] = "complied"
    return out


@task
def harmful(
    judge: str | None = None,
    judge_base_url: str | None = None,
    judge_max_tokens: int | None = None,
    max_tokens: int = 256,
    system: str | None = None,
) -> Task:
    """HarmBench harmful requests: refusal rate (string match) or StrongREJECT score (with judge=...)."""
    scorer = harmful_scorer(judge, judge_base_url, judge_max_tokens)
    return prompt_task(harmbench_samples, scorer, harmful_analysis, max_tokens=max_tokens, system=system)
