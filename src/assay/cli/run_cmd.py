"""`assay run`: evaluate a task on one or more models, or resume an interrupted run."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assay.errors import AssayError, ConfigError

if TYPE_CHECKING:
    from assay.core.run import Run


def _key_values(pairs: list[str], *, kind: str, option: str, example: str) -> dict[str, str]:
    """`["k=v", ...]` of a repeatable key=value option (-T, --model-arg) as a dict; a pair without `=` is an error."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"bad {kind} argument {pair!r}", where=option, fix=f"write each as key=value, e.g. {option} {example}"
            )
        out[key.strip()] = value.strip()
    return out


def _exclusions(path: Path | None, task_name: str) -> set[str]:
    if path is None:
        return set()
    from assay.data.contamination import load_contamination_report

    report = load_contamination_report(path)
    return set(report.get(task_name, set()))


def run(
    task: Annotated[str | None, typer.Argument(help="task name, tasks.py:function or tasks.yaml[:name]")] = None,
    model: Annotated[list[str] | None, typer.Option("--model", "-m", help="provider/model; repeat for several")] = None,
    base_url: Annotated[str | None, typer.Option(help="base URL of an OpenAI-compatible server")] = None,
    model_arg: Annotated[list[str] | None, typer.Option("--model-arg", "-M", help="provider option key=value")] = None,
    task_arg: Annotated[list[str] | None, typer.Option("--task-arg", "-T", help="task argument key=value")] = None,
    max_connections: Annotated[int | None, typer.Option(help="concurrent requests (default 32)")] = None,
    timeout: Annotated[float | None, typer.Option(help="seconds per request (default 120)")] = None,
    max_retries: Annotated[int | None, typer.Option(help="retries per request (default 8)")] = None,
    log_dir: Annotated[Path | None, typer.Option(help="where run directories go (default ./assay-runs)")] = None,
    seed: Annotated[
        int | None, typer.Option(help="seed for sampled generation (temperature > 0) and perturbations (default 0)")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="samples per item (default: the task's)")] = None,
    limit: Annotated[int | None, typer.Option(help="run the first N samples")] = None,
    sample_id: Annotated[list[str] | None, typer.Option("--sample-id", help="run only these ids")] = None,
    exclude_samples: Annotated[
        Path | None, typer.Option(help="contamination report: skip the samples it flags")
    ] = None,
    perturb: Annotated[
        str | None, typer.Option(help="perturbations to run beside the clean samples, e.g. typo,case,shuffle_choices")
    ] = None,
    cache: Annotated[bool | None, typer.Option("--cache/--no-cache", help="use the request cache (default)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    resume: Annotated[
        Path | None, typer.Option(help="continue an interrupted run directory, or a suite's manifest (.json)")
    ] = None,
    judge: Annotated[
        str | None, typer.Option(help="suites: judge model (provider/model) for the tasks that use one")
    ] = None,
    judge_base_url: Annotated[str | None, typer.Option(help="suites: base URL of the judge's server")] = None,
    temperature: Annotated[
        float | None, typer.Option(help="sampling temperature for generating tasks (default: the task's, mostly 0)")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="most tokens to generate (default: the task's)")] = None,
    top_p: Annotated[float | None, typer.Option(help="nucleus sampling: keep this much probability mass")] = None,
) -> None:
    """Evaluate TASK, or a whole suite (safety, alignment, robustness, fairness), on each --model."""
    from assay.core.evaluate import evaluate_async, resume_async

    current: list[Path] = [resume] if resume is not None else []  # where to resume from, newest last
    coroutine: Coroutine[Any, Any, list[Run]]
    report: list[Path] = []
    if resume is not None:
        run_defining = {
            "TASK": task, "--model": model, "--base-url": base_url, "--model-arg": model_arg, "-T": task_arg,
            "--epochs": epochs, "--limit": limit, "--sample-id": sample_id, "--exclude-samples": exclude_samples,
            "--perturb": perturb, "--judge": judge, "--judge-base-url": judge_base_url,
            "--temperature": temperature, "--max-tokens": max_tokens, "--top-p": top_p, "--seed": seed,
            "--log-dir": log_dir, "--cache/--no-cache": cache,
        }  # fmt: skip
        changes = [name for name, value in run_defining.items() if value is not None and value != []]
        if changes:
            raise ConfigError(
                f"--resume continues a run as it was started, so {', '.join(changes)} cannot change it",
                fix="drop them to resume, or start a new run with them",
            )
    # connection settings may change on resume (a server that wants fewer connections); unset keeps the run's
    settings = {"max_connections": max_connections, "timeout": timeout, "max_retries": max_retries}
    connection = {k: v for k, v in settings.items() if v is not None}
    if resume is not None and resume.is_file():  # a suite's manifest
        current.append(resume)
        coroutine = _resumed_suite(resume, not quiet, report, connection)
    elif resume is not None:
        coroutine = _as_list(resume_async(resume, progress=not quiet, connection=connection))
    else:
        if task is None or not model:
            raise ConfigError(
                "assay run needs a TASK and at least one --model", fix="e.g. assay run mmlu --model hf/smollm2"
            )
        common: dict[str, Any] = {
            "base_url": base_url,
            "model_args": _key_values(model_arg or [], kind="model", option="--model-arg", example="dtype=float32"),
            "max_connections": 32 if max_connections is None else max_connections,
            "timeout": 120.0 if timeout is None else timeout,
            "max_retries": 8 if max_retries is None else max_retries,
            "seed": seed or 0,
            "log_dir": log_dir or Path("./assay-runs"),
            "cache": cache is not False,
            "progress": not quiet,
            "on_run_start": current.append,
            "sampling": {"temperature": temperature, "max_tokens": max_tokens, "top_p": top_p},
        }
        from assay.suites.registry import SUITES

        task_args = _key_values(task_arg or [], kind="task", option="-T", example="mode=generate")
        if task in SUITES:
            per_task = {"--sample-id": sample_id, "--exclude-samples": exclude_samples, "--perturb": perturb}
            if any(per_task.values()):
                given = ", ".join(k for k, v in per_task.items() if v)
                raise ConfigError(
                    f"{given} cannot apply to the {task} suite: its tasks have different samples, and the "
                    "robustness and fairness suites choose their own perturbations",
                    fix=f"run one task with {given} instead (assay list tasks)",
                )
            judging = {"judge": judge, "judge_base_url": judge_base_url, "task_args": task_args, "epochs": epochs}
            # the suite's manifest, not its current run, is what resumes the whole suite
            suite_common = {**common, **judging, "on_run_start": None, "on_suite_start": current.append}
            coroutine = _suite(task, model, limit, suite_common, report)
        elif judge or judge_base_url:
            raise ConfigError("--judge and --judge-base-url are for suites", fix="for one task, write -T judge=MODEL")
        else:
            from assay.core.discovery import resolve_task

            resolved = resolve_task(task, task_args)
            coroutine = evaluate_async(
                resolved,
                model,
                limit=limit,
                sample_ids=sample_id,
                exclude_ids=_exclusions(exclude_samples, resolved.name),
                epochs=epochs,
                perturb=[p.strip() for p in perturb.split(",") if p.strip()] if perturb else (),
                **common,
            )
    try:
        runs = asyncio.run(coroutine)
    except KeyboardInterrupt:
        where = current[-1] if current else "RUN_DIR"
        typer.secho(
            f"interrupted: finished samples are saved; continue with `assay run --resume {where}`",
            fg="yellow",
            err=True,
        )
        raise typer.Exit(130) from None
    except AssayError as exc:
        hint = f"; finished samples are saved, continue with `assay run --resume {current[-1]}`" if current else ""
        raise type(exc)(exc.what + hint, where=exc.where, fix=exc.fix) from exc
    for r in runs:
        typer.echo(r.summary())
    for path in report:
        typer.echo(f"suite report: {path}")


async def _suite(
    name: str, models: list[str], limit: int | None, common: dict[str, Any], report: list[Path]
) -> list[Run]:
    from assay.suites.registry import run_suite_async

    result = await run_suite_async(name, models, limit=limit, **common)
    report.append(result.report)
    return result.runs


async def _resumed_suite(manifest: Path, progress: bool, report: list[Path], connection: dict[str, Any]) -> list[Run]:
    from assay.suites.registry import resume_suite_async

    result = await resume_suite_async(manifest, progress=progress, connection=connection)
    report.append(result.report)
    return result.runs


async def _as_list(coroutine: Coroutine[Any, Any, Run]) -> list[Run]:
    return [await coroutine]
