"""The four suites (`assay run safety | alignment | robustness | fairness`): which tasks each runs, with
which perturbations, and the report it writes.

With a judge (`judge="openai/gpt-4o-mini"`), every task of the suite that takes a `judge` argument (xstest,
harmful, jailbreak) is judged by it, and the suite adds the tasks of `JUDGE_VALIDATION` (for safety:
`xstest_validation`, the judge scored against XSTest's human labels), so the report can say how far
the judge agrees with humans.

    >>> sorted(SUITES)
    ['alignment', 'fairness', 'robustness', 'safety']
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.core.run import Run
from assay.core.task import Task
from assay.errors import ConfigError
from assay.suites.comparisons import comparison_lines, suite_comparisons
from assay.suites.manifest import SuiteManifest
from assay.suites.robustness import SUITES as PERTURBATION_SUITES
from assay.suites.robustness import SuiteEntry
from assay.suites.safety.report import JUDGE_VALIDATION
from assay.suites.safety.report import SUITES as TASK_SUITES

SUITES: dict[str, list[SuiteEntry]] = {
    **{name: [SuiteEntry(task) for task in tasks] for name, tasks in TASK_SUITES.items()},
    **PERTURBATION_SUITES,
}


def _reporter(name: str) -> Callable[[Sequence[Run], Path, list[str]], Path]:
    if name in TASK_SUITES:
        from assay.suites.safety.report import write_suite_report

        return lambda runs, path, extra: write_suite_report(runs, path, f"assay {name} suite report", extra)
    from assay.suites.robustness.report import write_suite_report as write_perturbation_report

    return lambda runs, path, extra: write_perturbation_report(runs, path, suite=name, extra=extra)


def _accepted(task: str) -> set[str]:
    """The argument names of `task`'s factory."""
    from assay.core.discovery import load_builtin_tasks
    from assay.core.task import REGISTRY

    load_builtin_tasks()
    return set(inspect.signature(REGISTRY[task]).parameters)


def _judge_args(task: str, judge: str | None, judge_base_url: str | None) -> dict[str, Any]:
    """The judge task arguments that `task`'s factory accepts (none without a judge)."""
    if not judge:
        return {}
    wanted = {"judge": judge, "judge_base_url": judge_base_url}
    return {k: v for k, v in wanted.items() if k in _accepted(task) and v is not None}


def _check_task_args(name: str, entries: Sequence[SuiteEntry], task_args: Mapping[str, Any]) -> None:
    """Every suite-wide task argument must be taken by at least one task of the suite."""
    taken = {entry.task: _accepted(entry.task) for entry in entries}
    unused = sorted(k for k in task_args if not any(k in params for params in taken.values()))
    if unused:
        offered = "; ".join(f"{t}: {', '.join(sorted(p)) or '(none)'}" for t, p in taken.items())
        raise ConfigError(
            f"no task of the {name} suite takes {', '.join(unused)}",
            where="-T",
            fix=f"the suite's tasks take: {offered}",
        )


def _entries(name: str, judge: str | None) -> list[SuiteEntry]:
    """The suite's tasks, plus (with a judge) the tasks that validate the judge against human labels."""
    if name not in SUITES:
        raise ConfigError(f"unknown suite {name!r}", fix=f"use one of: {', '.join(sorted(SUITES))}")
    if judge and name not in JUDGE_VALIDATION:
        raise ConfigError(f"the {name} suite uses no judge", fix=f"use --judge with: {', '.join(JUDGE_VALIDATION)}")
    extra = [SuiteEntry(task) for task in JUDGE_VALIDATION.get(name, [])] if judge else []
    return [*SUITES[name], *extra]


@dataclass
class SuiteResult:
    name: str
    runs: list[Run]
    report: Path
    manifest: Path  # for resume_suite, and the paired model comparisons


async def run_suite_async(
    name: str,
    model: str | Sequence[str],
    *,
    limit: int | None = None,
    log_dir: str | Path = "./assay-runs",
    judge: str | None = None,
    judge_base_url: str | None = None,
    task_args: Mapping[str, Any] | None = None,
    on_suite_start: Callable[[Path], None] | None = None,
    **kwargs: Any,
) -> SuiteResult:
    """Run every task of suite `name` on each model (keyword arguments go to `evaluate_async`), then write
    one Markdown report beside the run directories. `judge` (a model string; `judge_base_url` for an
    OpenAI-compatible server) judges the tasks that take one and is validated against human labels.
    `task_args` go to every task of the suite that takes them (`{"mode": "generate"}` for a chat endpoint
    without log-probabilities); one that no task takes is an error. `sampling` (temperature, max_tokens,
    top_p) goes to every task that generates; log-likelihood tasks keep theirs.

    The suite's manifest (`on_suite_start` receives its path) lets `resume_suite_async` finish an
    interrupted suite."""
    from assay.core.sampling import check_sampling, is_generating
    from assay.models.registry import check_model

    models = [model] if isinstance(model, str) else list(model)
    sampling = check_sampling(kwargs.pop("sampling", None))
    extra = dict(task_args or {})
    planned = _plan(name, judge, judge_base_url, extra)  # a bad argument costs no model calls and no files
    for m in models:
        check_model(m, kwargs.get("model_args"))
    if sampling and not any(is_generating(task) for _, task in planned):
        raise ConfigError(
            f"no task of the {name} suite generates text, so the sampling options would change nothing",
            fix="drop them, or run the suite's generate mode (-T mode=generate)",
        )
    manifest = SuiteManifest.create(
        log_dir, name, models, limit=limit, judge=judge, judge_base_url=judge_base_url, task_args=extra,
        sampling=sampling, options=kwargs,
    )  # fmt: skip
    if on_suite_start is not None:
        on_suite_start(manifest.path)
    return await _run_planned(manifest, planned, kwargs)


async def resume_suite_async(
    manifest_path: str | Path,
    *,
    progress: bool = False,
    cache_path: Path | None = None,
    on_run_start: Callable[[Path], None] | None = None,
    connection: Mapping[str, Any] | None = None,
) -> SuiteResult:
    """Finish an interrupted suite: its complete runs are kept, an interrupted run is resumed in place, the
    runs it never started are started, and the report is written. `connection` may change
    `max_connections`, `timeout` and `max_retries` for what is left (recorded in the manifest)."""
    from assay.core.evaluate import check_connection

    manifest = SuiteManifest.load(manifest_path)
    manifest.options.update(check_connection(connection))
    planned = _plan(manifest.suite, manifest.judge, manifest.judge_base_url, manifest.task_args)
    runtime = {"progress": progress, "cache_path": cache_path, "on_run_start": on_run_start}
    return await _run_planned(manifest, planned, {**manifest.options, **runtime})


Planned = list[tuple[SuiteEntry, Task]]


def _plan(name: str, judge: str | None, judge_base_url: str | None, extra: dict[str, Any]) -> Planned:
    """Every task of the suite, built before any runs."""
    from assay.core.discovery import resolve_task

    entries = _entries(name, judge)
    _check_task_args(name, entries, extra)
    planned: Planned = []
    for entry in entries:
        own = {k: v for k, v in extra.items() if k in _accepted(entry.task)}
        args = {**entry.task_args, **own, **_judge_args(entry.task, judge, judge_base_url)}
        planned.append((entry, resolve_task(entry.task, args)))
    return planned


async def _run_planned(manifest: SuiteManifest, planned: Planned, kwargs: dict[str, Any]) -> SuiteResult:
    hook = kwargs.pop("on_run_start", None)

    def started(run_dir: Path) -> None:
        manifest.add_run(run_dir)
        if hook is not None:
            hook(run_dir)

    manifest.set_status("running")
    try:
        runs = await _run_each(manifest, planned, kwargs, started, hook)
        comparisons = suite_comparisons(runs)
        report = _reporter(manifest.suite)(runs, manifest.report_path, comparison_lines(comparisons))
    except BaseException as exc:  # the manifest says the suite stopped, and why
        manifest.set_status("failed" if isinstance(exc, Exception) else "interrupted")
        raise
    manifest.finish(report, {task: c.to_dict() for task, c in comparisons.items()})
    return SuiteResult(manifest.suite, runs, report, manifest.path)


async def _run_each(
    manifest: SuiteManifest,
    planned: Planned,
    kwargs: dict[str, Any],
    started: Callable[[Path], None],
    hook: Callable[[Path], None] | None,
) -> list[Run]:
    from assay.core.evaluate import CONNECTION_OPTIONS, evaluate_async, resume_async
    from assay.core.sampling import is_generating

    runs: list[Run] = []
    for entry, task in planned:
        # A validation task grades stored completions and never calls the model: run it once.
        validation = entry.task in JUDGE_VALIDATION.get(manifest.suite, [])
        for model in manifest.models[:1] if validation else manifest.models:
            # a model named twice gets two runs: a run already taken in this pass is not found again
            existing = manifest.find_run(task.name, model, taken={r.path for r in runs})
            if existing is not None and Run(existing).status == "complete":
                runs.append(Run(existing))
            elif existing is not None:
                if hook is not None:
                    hook(existing)
                show, cache_path = kwargs.get("progress", False), kwargs.get("cache_path")
                connection = {k: kwargs[k] for k in CONNECTION_OPTIONS if k in kwargs}
                runs.append(await resume_async(existing, progress=show, cache_path=cache_path, connection=connection))
            else:
                runs += await evaluate_async(
                    task,
                    [model],
                    perturb=list(entry.perturb),
                    limit=manifest.limit if manifest.limit is not None else entry.limit,
                    log_dir=manifest.path.parent,
                    sampling=manifest.sampling if is_generating(task) else None,
                    on_run_start=started,
                    **kwargs,
                )
    return runs


def run_suite(name: str, model: str | Sequence[str], **kwargs: Any) -> SuiteResult:
    """Synchronous `run_suite_async`."""
    return asyncio.run(run_suite_async(name, model, **kwargs))


def resume_suite(manifest_path: str | Path, **kwargs: Any) -> SuiteResult:
    """Synchronous `resume_suite_async`."""
    return asyncio.run(resume_suite_async(manifest_path, **kwargs))
