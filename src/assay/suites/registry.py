"""The four suites (`assay run safety | alignment | robustness | fairness`): which tasks each runs, with
which perturbations, and the report it writes.

    >>> sorted(SUITES)
    ['alignment', 'fairness', 'robustness', 'safety']
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.core.run import Run
from assay.errors import ConfigError
from assay.suites.robustness import SUITES as PERTURBATION_SUITES
from assay.suites.robustness import SuiteEntry
from assay.suites.safety.report import SUITES as TASK_SUITES

SUITES: dict[str, list[SuiteEntry]] = {
    **{name: [SuiteEntry(task) for task in tasks] for name, tasks in TASK_SUITES.items()},
    **PERTURBATION_SUITES,
}


def _reporter(name: str) -> Callable[[Sequence[Run], Path], Path]:
    if name in TASK_SUITES:
        from assay.suites.safety.report import write_suite_report

        return lambda runs, path: write_suite_report(runs, path, title=f"assay {name} suite report")
    from assay.suites.robustness.report import write_suite_report as write_perturbation_report

    return lambda runs, path: write_perturbation_report(runs, path, suite=name)


@dataclass
class SuiteResult:
    name: str
    runs: list[Run]
    report: Path


async def run_suite_async(
    name: str,
    model: str | Sequence[str],
    *,
    limit: int | None = None,
    log_dir: str | Path = "./assay-runs",
    **kwargs: Any,
) -> SuiteResult:
    """Run every task of suite `name` on each model (keyword arguments go to `evaluate_async`), then write
    one Markdown report beside the run directories."""
    from assay.core.evaluate import evaluate_async

    if name not in SUITES:
        raise ConfigError(f"unknown suite {name!r}", fix=f"use one of: {', '.join(sorted(SUITES))}")
    runs: list[Run] = []
    for entry in SUITES[name]:
        runs += await evaluate_async(
            entry.task,
            model,
            task_args=dict(entry.task_args),
            perturb=list(entry.perturb),
            limit=limit if limit is not None else entry.limit,
            log_dir=log_dir,
            **kwargs,
        )
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    report = _reporter(name)(runs, Path(log_dir) / f"{name}-report-{stamp}.md")
    return SuiteResult(name, runs, report)


def run_suite(name: str, model: str | Sequence[str], **kwargs: Any) -> SuiteResult:
    """Synchronous `run_suite_async`."""
    return asyncio.run(run_suite_async(name, model, **kwargs))
