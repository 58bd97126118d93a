"""Perturbations that any task can apply (`assay run TASK --perturb typo,case,shuffle_choices`).

A perturbation name resolves to a `Transform` (`(Sample, random.Random) -> Sample`); the runner applies
it to every sample with an rng seeded per (run seed, sample id, name), so a perturbed run is reproducible
and pairs with the clean run by sample id. Names take an optional parameter after a colon
(`typo:0.1`, `case:upper`, `gender:female`, `format:3`); the full name, parameter included, is the
variant's name in the log and in `results.json`.

    >>> import random
    >>> from assay.core.sample import Sample
    >>> s = Sample(input="Who wrote it?", choices=["Ann", "Bob", "Cy"], target="B", id="q1")
    >>> out = get_perturbation("shuffle_choices")(s, random.Random(0))
    >>> out.id, out.choices[out.target_index()]
    ('q1', 'Bob')
    >>> get_perturbation("case:upper")(s, random.Random(0)).input
    'WHO WROTE IT?'

Kinds (recorded as `metadata["perturbation"]["kind"]`): "text" and "choices" (robustness), "format"
(prompt-format variants, `metadata["format"]` read by the template), "counterfactual" (demographic swaps).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.perturb import choices as _choices
from assay.perturb import counterfactual as _cf
from assay.perturb import text as _text
from assay.perturb.base import TextFn, rewrite_text

__all__ = [
    "ROBUSTNESS_DEFAULT",
    "PerturbationInfo",
    "get_perturbation",
    "list_perturbations",
    "perturbation_kind",
]

Transform = Callable[[Sample, random.Random], Sample]


@dataclass(frozen=True)
class PerturbationInfo:
    """One registered perturbation: its kind, its parameter (name, default, meaning) and what it does."""

    name: str
    kind: str
    description: str
    parameter: str | None = None
    default: str | None = None
    build: Callable[[str | None], Transform] | None = None


def _rate(name: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ConfigError(
            f"perturbation {name!r} takes a probability between 0 and 1, got {value!r}",
            where=f"--perturb {name}:{value}",
            fix=f"write e.g. {name}:{default}",
        )
    return rate


def _text_perturbation(name: str, make: Callable[[float], TextFn], default: float) -> Callable[[str | None], Transform]:
    def build(param: str | None) -> Transform:
        rate = _rate(name, param, default)
        fn = make(rate)
        info = {"name": name if param is None else f"{name}:{param}", "kind": "text", "rate": rate}
        return lambda sample, rng: rewrite_text(sample, rng, fn, info)

    return build


def _fixed_text(name: str, fn: TextFn) -> Callable[[str | None], Transform]:
    def build(param: str | None) -> Transform:
        _no_param(name, param)
        info = {"name": name, "kind": "text"}
        return lambda sample, rng: rewrite_text(sample, rng, fn, info)

    return build


def _no_param(name: str, param: str | None) -> None:
    if param is not None:
        raise ConfigError(f"perturbation {name!r} takes no parameter, got {param!r}", fix=f"write just {name}")


def _case(param: str | None) -> Transform:
    mode = param or "lower"
    if mode not in _text.CASE_MODES:
        raise ConfigError(f"unknown case mode {mode!r}", fix=f"use case:{' / case:'.join(_text.CASE_MODES)}")
    fn = _text.case(mode)
    info = {"name": "case" if param is None else f"case:{mode}", "kind": "text", "mode": mode}
    return lambda sample, rng: rewrite_text(sample, rng, fn, info)


def _shuffle(param: str | None) -> Transform:
    _no_param("shuffle_choices", param)
    return _choices.shuffle_choices


def _format(param: str | None) -> Transform:
    if param is None or not param.isdigit():
        raise ConfigError(
            f"the format perturbation needs a format number, got {param!r}",
            fix=f"use format:1 .. format:{len(_choices.FORMATS) - 1}",
        )
    return _choices.format_variant(int(param))  # type: ignore[no-any-return]


def _required(name: str, param: str | None, options: list[str]) -> str:
    if not param:
        raise ConfigError(f"perturbation {name!r} needs a group", fix=f"use {name}:<group> with one of {options}")
    return param


def _swap_gender(param: str | None) -> Transform:
    _no_param("swap_gender", param)
    return _cf.gender_swap(None)  # type: ignore[no-any-return]


_REGISTRY: dict[str, PerturbationInfo] = {
    p.name: p
    for p in [
        PerturbationInfo(
            "typo",
            "text",
            "keyboard typos: each letter becomes a QWERTY neighbour",
            "rate",
            "0.05",
            _text_perturbation("typo", _text.typo, 0.05),
        ),
        PerturbationInfo(
            "swap",
            "text",
            "character swaps: adjacent inner letters of a word trade places",
            "rate",
            "0.1",
            _text_perturbation("swap", _text.swap, 0.1),
        ),
        PerturbationInfo("case", "text", "casing of the whole input", "lower|upper|title|random", "lower", _case),
        PerturbationInfo(
            "whitespace",
            "text",
            "extra spaces, tabs and line breaks between words",
            "rate",
            "0.2",
            _text_perturbation("whitespace", _text.whitespace, 0.2),
        ),
        PerturbationInfo(
            "contract",
            "text",
            "contractions: 'do not' -> 'don't'",
            None,
            None,
            _fixed_text("contract", _text.contract()),
        ),
        PerturbationInfo(
            "expand", "text", "expansions: 'don't' -> 'do not'", None, None, _fixed_text("expand", _text.expand())
        ),
        PerturbationInfo(
            "filler",
            "text",
            "filler words ('uh', 'you know') inserted between words",
            "rate",
            "0.1",
            _text_perturbation("filler", _text.filler, 0.1),
        ),
        PerturbationInfo(
            "synonym",
            "text",
            "words swapped for synonyms from the bundled list",
            "rate",
            "0.5",
            _text_perturbation("synonym", _text.synonym, 0.5),
        ),
        PerturbationInfo(
            "shuffle_choices", "choices", "answer options in a random order, target remapped", None, None, _shuffle
        ),
        PerturbationInfo(
            "format",
            "format",
            "prompt format: choice labels, option separator, answer cue (FormatSpread)",
            f"1..{len(_choices.FORMATS) - 1}",
            None,
            _format,
        ),
        PerturbationInfo(
            "swap_gender", "counterfactual", "every gendered word to the other gender", None, None, _swap_gender
        ),
        PerturbationInfo(
            "gender",
            "counterfactual",
            "every gendered word to one gender",
            "female|male",
            None,
            lambda p: _cf.gender_swap(_required("gender", p, list(_cf.GENDER_GROUPS))),
        ),
        PerturbationInfo(
            "names",
            "counterfactual",
            "known given names to names of one group",
            "|".join([*_cf.name_groups(), "black", "white"]),
            None,
            lambda p: _cf.names_swap(_required("names", p, _cf.name_groups())),
        ),
        PerturbationInfo(
            "race",
            "counterfactual",
            "race and ethnicity words to one group's word",
            "|".join(_cf.race_groups()),
            None,
            lambda p: _cf.race_swap(_required("race", p, _cf.race_groups())),
        ),
    ]
}

# The standard robustness set of `assay run robustness`: one of each kind of noise, at HELM-like rates.
ROBUSTNESS_DEFAULT: tuple[str, ...] = (
    "typo",
    "swap",
    "case",
    "whitespace",
    "contract",
    "filler",
    "synonym",
    "shuffle_choices",
    "format:1",
    "format:3",
    "format:4",
    "format:5",
    "format:6",
)


def _split(name: str) -> tuple[str, str | None]:
    base, sep, param = name.strip().partition(":")
    return base, (param if sep else None)


def get_perturbation(name: str) -> Transform:
    """The transform for a perturbation name such as "typo", "typo:0.1", "shuffle_choices" or "gender:female".

    Raises `ConfigError` for an unknown name or a bad parameter, listing what is valid.
    """
    base, param = _split(name)
    info = _REGISTRY.get(base)
    if info is None or info.build is None:
        valid = ", ".join(f"{p.name}[:{p.parameter}]" if p.parameter else p.name for p in _REGISTRY.values())
        raise ConfigError(
            f"unknown perturbation {name!r}",
            where="--perturb",
            fix=f"use one of: {valid}",
        )
    return info.build(param)


def list_perturbations() -> dict[str, PerturbationInfo]:
    """Every registered perturbation by base name (parameters and defaults in each `PerturbationInfo`)."""
    return dict(_REGISTRY)


def perturbation_kind(name: str) -> str | None:
    """The kind of a variant name ("typo:0.1" -> "text"), or None for a name that is not registered here."""
    info = _REGISTRY.get(_split(name)[0])
    return info.kind if info else None


def describe(name: str) -> dict[str, Any]:
    """A JSON-ready description of a variant name, for reports."""
    base, param = _split(name)
    info = _REGISTRY.get(base)
    if info is None:
        return {"name": name, "kind": None}
    return {"name": name, "kind": info.kind, "description": info.description, "parameter": param or info.default}
