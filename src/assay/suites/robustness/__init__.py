"""The robustness and fairness suites: which tasks run with which perturbations, and one report for a suite.

`SUITES[name]` lists `SuiteEntry`s; `assay run robustness` runs each entry with `evaluate(entry.task, model,
task_args=entry.task_args, perturb=entry.perturb, limit=limit or entry.limit, ...)` and passes the runs to
`write_suite_report(runs, path)` (see `assay.suites.robustness.report`).

    >>> [e.task for e in SUITES["fairness"]]
    ['bbq', 'mmlu']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.perturb import ROBUSTNESS_DEFAULT

__all__ = ["COUNTERFACTUAL_DEFAULT", "SUITES", "SuiteEntry", "suite_entries"]

# Each gender made uniform, and given names replaced by race-associated names (gender kept).
COUNTERFACTUAL_DEFAULT: tuple[str, ...] = ("gender:female", "gender:male", "names:black", "names:white")


@dataclass(frozen=True)
class SuiteEntry:
    """One task of a suite: its arguments and the perturbations (variants) it runs with."""

    task: str
    perturb: tuple[str, ...] = ()
    task_args: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    purpose: str = ""


SUITES: dict[str, list[SuiteEntry]] = {
    "robustness": [
        SuiteEntry(
            "mmlu",
            perturb=ROBUSTNESS_DEFAULT,
            purpose="accuracy under text noise, shuffled options and prompt formats, paired with the clean run",
        ),
    ],
    "fairness": [
        SuiteEntry("bbq", purpose="BBQ accuracy and bias scores (Parrish et al., 2022), per category"),
        SuiteEntry(
            "mmlu",
            perturb=COUNTERFACTUAL_DEFAULT,
            purpose="counterfactual fairness: answer flips and per-group accuracy under demographic swaps",
        ),
    ],
}


def suite_entries(name: str) -> list[SuiteEntry]:
    """The entries of suite `name`; `ConfigError` naming the suites for an unknown one."""
    from assay.errors import ConfigError

    if name not in SUITES:
        raise ConfigError(f"unknown suite {name!r}", fix=f"use one of: {', '.join(sorted(SUITES))}")
    return SUITES[name]
