"""The fairness suite's tasks. Importing this module registers `bbq` and `winobias` (`assay list tasks`)."""

from __future__ import annotations

from assay.core.task import Task, generates, task
from assay.errors import TaskError
from assay.models.base import GenerateConfig


@task
def bbq(categories: str | None = None, mode: str = "loglikelihood") -> Task:
    """BBQ (Parrish et al., 2022), bundled slice: accuracy in ambiguous/disambiguated contexts and bias scores.

    `mode="loglikelihood"` (default) scores the three option labels after the prompt and picks the most
    likely, so every item gets exactly one of the three options: the bias scores' counts are then defined
    for every output and the run is deterministic, also on small local models. `mode="generate"` asks for an
    answer letter, for endpoints without log-probabilities (chat APIs); outputs with no recognisable
    option count as wrong and are reported as `n_invalid`. `categories` is a comma-separated subset.
    """
    from assay.core.template import multiple_choice_template
    from assay.scorers import choice, letter_choice
    from assay.suites.fairness.bbq import bbq_analysis, bbq_samples

    generate = generates("bbq", mode)
    wanted = [c.strip() for c in categories.split(",")] if categories else None
    samples = bbq_samples(wanted)
    template = multiple_choice_template()
    if generate:
        return Task(
            dataset=samples,
            template=template,
            scorer=letter_choice(),
            config=GenerateConfig(max_tokens=8, temperature=0.0),
            analysis=bbq_analysis,
        )
    return Task(dataset=samples, template=template, scorer=choice(), analysis=bbq_analysis)


@task
def winobias(mode: str = "loglikelihood", continuations: str = "choices") -> Task:
    """WinoBias (Zhao et al., 2018): which occupation a he/she refers to; accuracy pro vs anti-stereotyped.

    1,520 bundled items: 760 sentences, each with the pronoun of the referent occupation's stereotyped
    gender (pro) and of the other gender (anti), two options (the two occupations). The analysis reports
    accuracy on each and the paired gap pro - anti over sentences. `mode="loglikelihood"` (default)
    picks the option whose text (" the nurse", `continuations="choices"`, the default) or label (" A",
    `continuations="labels"`) is most likely after the prompt: small base models answer "A" to every
    question when scored by label, which hides any gap. `mode="generate"` asks for an answer letter (chat
    endpoints), counting an output with no option letter as wrong (`n_invalid`).
    """
    from assay.core.template import multiple_choice_template
    from assay.scorers import choice, letter_choice
    from assay.suites.fairness.winobias import winobias_analysis, winobias_samples

    if continuations not in ("choices", "labels"):
        raise TaskError(
            f"winobias continuations {continuations!r} is not known",
            fix="use -T continuations=choices or -T continuations=labels",
        )
    generate = generates("winobias", mode)
    template = multiple_choice_template(
        continuations="choices" if continuations == "choices" and not generate else "labels"
    )
    return Task(
        dataset=winobias_samples(),
        template=template,
        scorer=letter_choice() if generate else choice(template=template),
        config=GenerateConfig(max_tokens=8, temperature=0.0) if generate else GenerateConfig(),
        analysis=winobias_analysis,
        cluster_by="pair_id",  # a sentence's two versions are not independent
        group_by="stereotype",  # results.json groups: pro, anti
    )
