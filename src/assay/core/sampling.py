"""Sampling overrides for a run (`--temperature`, `--max-tokens`, `--top-p`): the task's `GenerateConfig`
with some settings replaced, checked before any model call and recorded in the run spec so that a resumed
run samples the same way."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from assay.core.task import Task
from assay.errors import ConfigError

__all__ = ["SAMPLING_OPTIONS", "check_sampling", "is_generating", "with_sampling"]

SAMPLING_OPTIONS = ("temperature", "max_tokens", "top_p")


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def check_sampling(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The overrides with their types fixed; an unknown key or an out-of-range value is a ConfigError.

    >>> check_sampling({"temperature": "0.7", "max_tokens": 64})
    {'temperature': 0.7, 'max_tokens': 64}
    """
    out: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in SAMPLING_OPTIONS:
            raise ConfigError(f"unknown sampling setting {key!r}", fix=f"use {', '.join(SAMPLING_OPTIONS)}")
        try:
            number = float(value)
            if key == "max_tokens":
                if not number.is_integer():
                    raise ValueError
                number = int(number)
        except (TypeError, ValueError, OverflowError):
            kind = "a whole number" if key == "max_tokens" else "a number"
            raise ConfigError(f"{_flag(key)} must be {kind}, got {value!r}", where=_flag(key)) from None
        ok = {
            "temperature": math.isfinite(number) and number >= 0,
            "max_tokens": number >= 1,
            "top_p": 0 < number <= 1,
        }[key]
        if not ok:
            allowed = {"temperature": "a number >= 0", "max_tokens": "an integer >= 1", "top_p": "in (0, 1]"}[key]
            raise ConfigError(f"{_flag(key)}={value!r} is out of range", where=_flag(key), fix=f"use {allowed}")
        out[key] = number
    return out


def is_generating(task: Task) -> bool:
    """Whether the task's requests generate text (sampling settings apply), not score log-likelihoods."""
    return task.scorer.request_kind != "loglikelihood"


def with_sampling(task: Task, overrides: Mapping[str, Any] | None) -> Task:
    """`task` with its sampling settings replaced by `overrides` (a new Task; the given one is unchanged).

    A log-likelihood task generates nothing, so overriding its sampling is an error rather than a no-op.
    """
    checked = check_sampling(overrides)
    if not checked:
        return task
    if not is_generating(task):
        flags = ", ".join(_flag(k) for k in checked)
        raise ConfigError(
            f"task {task.name!r} scores choices by log-likelihood and generates nothing, so {flags} would change "
            "nothing",
            fix="drop the option, or run the task's generate mode where it has one (-T mode=generate)",
        )
    return replace(task, config=replace(task.config, **checked))
