"""Multiple-choice perturbations: shuffled option order, and prompt-format variants in the spirit of
FormatSpread (Sclar et al., 2024, "Quantifying Language Models' Sensitivity to Spurious Features in Prompt
Design").

`shuffle_choices` permutes the options and remaps the target, whatever its form (letter, text or index).

A format variant changes only how the prompt is *laid out*: the choice label style ("A." / "(A)" / "1."),
the separator between options and the answer cue ("Answer:" / "The answer is"). It sets
`metadata["format"]`, a dict of template overrides (`choice_labels`, `choice_format`, `choice_separator`,
`answer_cue`) that `assay.core.template.Template` applies when it renders the sample. Each variant is one
fixed format applied to every sample, as FormatSpread evaluates a format over a whole task.
"""

from __future__ import annotations

import random
import string
from typing import Any

from assay.core.sample import LETTERS, Sample
from assay.errors import ConfigError
from assay.perturb.base import perturbed

__all__ = ["FORMATS", "format_variant", "permute_target", "shuffle_choices"]


def permute_target(sample: Sample, order: list[int]) -> str | list[str]:
    """The target after choices are reordered so that new position i holds old choice `order[i]`.

    Letter targets get the new letter, index targets the new index, text targets are unchanged (the text
    moves with its choice). The form is read the same way as `Sample.target_index` reads it.
    """
    assert sample.choices is not None
    n = len(sample.choices)
    new_position = {old: new for new, old in enumerate(order)}

    def one(t: str) -> str:
        s = str(t).strip()
        if len(s) == 1 and s.upper() in LETTERS[:n]:
            letter = LETTERS[new_position[LETTERS.index(s.upper())]]
            return letter if s.isupper() else letter.lower()
        if s in sample.choices:  # type: ignore[operator]
            return t
        if s.isdigit() and int(s) < n:
            return str(new_position[int(s)])
        raise ConfigError(
            f"sample {sample.id}: target {t!r} is neither a choice letter, a choice's text nor an index",
            where="perturbation shuffle_choices",
            fix="give the sample a target that names one of its choices",
        )

    if isinstance(sample.target, list):
        return [one(t) for t in sample.target]
    return one(sample.target)


def shuffle_choices(sample: Sample, rng: random.Random) -> Sample:
    """Shuffle the answer options with a uniformly drawn non-identity permutation, remapping the target.

    The identity is redrawn so that every sample with 2+ options really is perturbed (otherwise a share of
    "perturbed" samples would be clean ones and dilute the measured drop). Samples without choices, or
    with one, are returned unchanged (with `changed: false` recorded).
    """
    info: dict[str, Any] = {"name": "shuffle_choices", "kind": "choices"}
    if not sample.choices or len(sample.choices) < 2:
        return perturbed(sample, {**info, "changed": False})
    n = len(sample.choices)
    order = list(range(n))
    while order == list(range(n)):
        rng.shuffle(order)
    target = permute_target(sample, order)
    choices = [sample.choices[i] for i in order]
    record = {**info, "changed": True, "order": order, "original_target": sample.target}
    return perturbed(sample, record, choices=choices, target=target)


# Each format: label alphabet, how one option is written, what joins the options, and the answer cue.
# Format 0 is the template's own default ("A. text", newline, "Answer:"), listed for reference and for
# reports; variants are 1..N. Letter labels come first, so generation scorers that extract letters keep
# working for formats 1-6; 7 and 8 use lower-case letters and numbers (log-likelihood tasks score them by
# position and are unaffected).
FORMATS: tuple[dict[str, str], ...] = (
    {
        "choice_labels": string.ascii_uppercase,
        "choice_format": "{label}. {choice}",
        "choice_separator": "\n",
        "answer_cue": "Answer:",
    },
    {
        "choice_labels": string.ascii_uppercase,
        "choice_format": "({label}) {choice}",
        "choice_separator": "\n",
        "answer_cue": "Answer:",
    },
    {
        "choice_labels": string.ascii_uppercase,
        "choice_format": "{label}) {choice}",
        "choice_separator": "\n",
        "answer_cue": "Answer:",
    },
    {
        "choice_labels": string.ascii_uppercase,
        "choice_format": "[{label}] {choice}",
        "choice_separator": "\n",
        "answer_cue": "ANSWER:",
    },
    {
        "choice_labels": string.ascii_uppercase,
        "choice_format": "{label}: {choice}",
        "choice_separator": " ",
        "answer_cue": "Answer:",
    },
    {
        "choice_labels": string.ascii_uppercase,
        "choice_format": "{label} - {choice}",
        "choice_separator": "\n",
        "answer_cue": "The answer is",
    },
    {
        "choice_labels": string.ascii_uppercase,
        "choice_format": "{label}. {choice}",
        "choice_separator": "; ",
        "answer_cue": "Correct option:",
    },
    {
        "choice_labels": string.ascii_lowercase,
        "choice_format": "{label}. {choice}",
        "choice_separator": "\n",
        "answer_cue": "Answer:",
    },
    {
        "choice_labels": "123456789",
        "choice_format": "{label}. {choice}",
        "choice_separator": "\n",
        "answer_cue": "Answer:",
    },
)


def format_variant(index: int) -> Any:
    """The transform for format `index` (1..len(FORMATS)-1): sets `metadata["format"]` to that format."""
    if not 1 <= index < len(FORMATS):
        raise ConfigError(
            f"prompt format {index} does not exist",
            where="perturbation format",
            fix=f"use format:1 .. format:{len(FORMATS) - 1}",
        )
    spec = dict(FORMATS[index])

    def transform(sample: Sample, rng: random.Random) -> Sample:
        info = {"name": f"format:{index}", "kind": "format", "changed": True, "format": spec}
        out = perturbed(sample, info)
        out.metadata["format"] = dict(spec)
        return out

    return transform
