"""The robustness and fairness suites: which tasks run with which perturbations, and one report for a suite.

`SUITES[name]` lists `SuiteEntry`s; `assay run robustness` runs each entry with `evaluate(entry.task, model,
task_args=entry.task_args, perturb=entry.perturb, limit=limit or entry.limit, ...)` and passes the runs to
`write_suite_report(runs, path)` (see `assay.suites.robustness.report`).

    >>> [(e.task, e.perturb) for e in SUITES["fairness"]]
    [('bbq', ('names:black', 'names:white')), ('winobias', ('gender:female', 'gender:male'))]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.perturb import ROBUSTNESS_DEFAULT

__all__ = ["GENDER_COUNTERFACTUAL", "NAMES_COUNTERFACTUAL", "SUITES", "SuiteEntry", "suite_entries"]

# Each gender made uniform, and every known given name replaced by a Black- or a White-associated one (gender
# kept, distinct people kept distinct). The fairness suite runs the gender swaps on WinoBias, whose every item
# has a gendered pronoun, and the name swaps on BBQ, whose items with named people (about 70 of 768) then
# compare all-Black with all-White names; BBQ's bias scores use the clean items only. On the bundled MMLU
# slice the name swaps change 2 of 200 questions, too few to measure.
GENDER_COUNTERFACTUAL: tuple[str, ...] = ("gender:female", "gender:male")
NAMES_COUNTERFACTUAL: tuple[str, ...] = ("names:black", "names:white")


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
        SuiteEntry(
            "bbq",
            perturb=NAMES_COUNTERFACTUAL,
            purpose="BBQ accuracy and bias scores (Parrish et al., 2022), per category; counterfactual fairness: "
            "answer flips and accuracy when every named person gets a Black- or a White-associated name",
        ),
        SuiteEntry(
            "winobias",
            perturb=GENDER_COUNTERFACTUAL,
            purpose="WinoBias pro vs anti-stereotyped accuracy (paired gap), and counterfactual fairness: answer "
            "flips and per-gender accuracy when every pronoun is made female or male",
        ),
    ],
}


def suite_entries(name: str) -> list[SuiteEntry]:
    """The entries of suite `name`; `ConfigError` naming the suites for an unknown one."""
    from assay.errors import ConfigError

    if name not in SUITES:
        raise ConfigError(f"unknown suite {name!r}", fix=f"use one of: {', '.join(sorted(SUITES))}")
    return SUITES[name]
