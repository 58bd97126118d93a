"""Built-in tasks. Importing this module registers them (`assay list tasks`)."""

from __future__ import annotations

from assay.core.task import Task, generates, task
from assay.models.base import GenerateConfig


@task
def mmlu(subjects: str | None = None, fewshot: int = 0, mode: str = "loglikelihood") -> Task:
    """MMLU, bundled slice: 4-way multiple choice, by the answer letters' log-likelihood (acc) or generation."""
    from assay.core.template import multiple_choice_template
    from assay.scorers import choice, letter_choice
    from assay.suites.mmlu import mmlu_samples

    generate = generates("mmlu", mode)
    wanted = [s.strip() for s in subjects.split(",")] if subjects else None
    samples = mmlu_samples(wanted)
    template = multiple_choice_template(fewshot=int(fewshot), fewshot_samples=samples if int(fewshot) else None)
    if generate:
        return Task(
            dataset=samples,
            template=template,
            scorer=letter_choice(),
            group_by="subject",
            config=GenerateConfig(max_tokens=8, temperature=0.0),
        )
    # acc only: with letter continuations (" A".." D") acc_norm is the same number
    return Task(dataset=samples, template=template, scorer=choice(), metrics=["acc"], group_by="subject")
