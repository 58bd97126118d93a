"""Shared machinery of perturbations: copy a sample, rewrite its text, record what changed.

A perturbation is a `Transform` (`(Sample, random.Random) -> Sample`, see `assay.core.runner`). Every one
returns a new `Sample` with the clean sample's `id` (so records pair with the clean run) and writes
`metadata["perturbation"] = {"name", "kind", "changed", ...details}`, which the runner logs with the record.
The input sample is never mutated.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from assay.core.sample import LETTERS, Sample

__all__ = [
    "WORD",
    "TextFn",
    "load_data",
    "match_case",
    "perturbed",
    "rewrite_text",
    "sub_words",
]

# A word: letters with inner apostrophes or hyphens ("don't", "well-known"); digits and symbols are left alone.
WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
# (text, rng) -> (new text, edits as (before, after) pairs)
TextFn = Callable[[str, random.Random], tuple[str, list[tuple[str, str]]]]
MAX_EDITS_LOGGED = 25  # enough to audit a perturbation in the log without bloating every record


@cache
def load_data(name: str) -> Any:
    """A bundled JSON word list from `assay/perturb/data/` (sources and licences in data/README.md)."""
    text = resources.files("assay.perturb").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def match_case(template: str, word: str) -> str:
    """`word` cased like `template`: "WORD", "Word" or "word" (mixed case keeps `word` as given)."""
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    if template.islower():
        return word.lower()
    return word


def sub_words(text: str, fn: Callable[[str], str | None]) -> tuple[str, list[tuple[str, str]]]:
    """Replace each word for which `fn` returns a string; returns the text and the (before, after) edits."""
    edits: list[tuple[str, str]] = []

    def repl(m: re.Match[str]) -> str:
        new = fn(m.group(0))
        if new is None or new == m.group(0):
            return m.group(0)
        edits.append((m.group(0), new))
        return new

    return WORD.sub(repl, text), edits


def _apply(value: str | list[dict[str, str]], fn: TextFn, rng: random.Random, edits: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        new, e = fn(value, rng)
        edits.extend(e)
        return new
    # Chat input: only the user's words are perturbed; system prompts and earlier assistant turns are the
    # evaluator's, not the user's, so they stay as written.
    out = []
    for message in value:
        message = dict(message)
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            new, e = fn(message["content"], rng)
            edits.extend(e)
            message["content"] = new
        out.append(message)
    return out


def perturbed(sample: Sample, info: dict[str, Any], **changes: Any) -> Sample:
    """A copy of `sample` with `changes` applied and `info` recorded under `metadata["perturbation"]`."""
    metadata = copy.deepcopy(sample.metadata)
    metadata["perturbation"] = info
    return Sample(
        input=changes.get("input", copy.deepcopy(sample.input)),
        target=changes.get("target", copy.deepcopy(sample.target)),
        choices=changes.get("choices", list(sample.choices) if sample.choices is not None else None),
        id=sample.id,
        metadata=metadata,
        cluster=sample.cluster,
    )


def rewrite_text(
    sample: Sample,
    rng: random.Random,
    fn: TextFn,
    info: dict[str, Any],
    *,
    choices: bool = False,
) -> Sample:
    """Apply `fn` to the input (and to each choice when `choices`), keeping the answer key valid.

    A target given as a choice's text follows its choice, so the key still names the same option.
    """
    edits: list[tuple[str, str]] = []
    new_input = _apply(sample.input, fn, rng, edits)
    changes: dict[str, Any] = {"input": new_input}
    if choices and sample.choices:
        new_choices = [_apply(c, fn, rng, edits) for c in sample.choices]
        changes["choices"] = new_choices
        changes["target"] = _retarget_text(sample, new_choices)
    record = {**info, "changed": bool(edits), "n_edits": len(edits)}
    record["edits"] = [list(e) for e in edits[:MAX_EDITS_LOGGED]]
    return perturbed(sample, record, **changes)


def _retarget_text(sample: Sample, new_choices: list[str]) -> str | list[str]:
    """The target after the choices' texts changed: letters and indices stay, a choice's text follows it."""
    assert sample.choices is not None

    def one(t: str) -> str:
        s = str(t).strip()
        if len(s) == 1 and s.upper() in LETTERS[: len(sample.choices or [])]:
            return t
        if s in (sample.choices or []):
            return new_choices[(sample.choices or []).index(s)]
        return t

    if isinstance(sample.target, list):
        return [one(t) for t in sample.target]
    return one(sample.target)
