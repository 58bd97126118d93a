"""`evaluate` / `evaluate_async`: run tasks on models and write run directories.

The sync function mirrors the async one (as httpx does), for scripts and notebooks.

>>> runs = evaluate("mmlu", model="hf/smollm2", limit=20)   # doctest: +SKIP
>>> print(runs[0].summary())                                 # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from assay.core.discovery import resolve_task
from assay.core.progress import ProgressDisplay
from assay.core.results import compute_results
from assay.core.run import Run
from assay.core.rundir import RESULTS, iter_records, new_run_dir, read_spec, write_json_atomic
from assay.core.runner import Progress, RunOptions, Transform, run_samples
from assay.core.sampling import check_sampling, with_sampling
from assay.core.spec import build_spec, dataset_hash
from assay.core.task import Task
from assay.errors import ConfigError, RunDirError
from assay.models.registry import ModelOptions, get_model


async def evaluate_async(
    task: str | Task,
    model: str | Sequence[str],
    *,
    task_args: dict[str, Any] | None = None,
    base_url: str | None = None,
    model_args: dict[str, str] | None = None,
    max_connections: int = 32,
    timeout: float = 120.0,
    max_retries: int = 8,
    limit: int | None = None,
    sample_ids: Sequence[str] | None = None,
    exclude_ids: set[str] | None = None,
    epochs: int | None = None,
    seed: int = 0,
    log_dir: str | Path = "./assay-runs",
    cache: bool = True,
    cache_path: Path | None = None,
    perturb: Sequence[str] = (),
    sampling: Mapping[str, Any] | None = None,
    progress: bool = False,
    on_run_start: Callable[[Path], None] | None = None,
) -> list[Run]:
    """Run `task` on each model in `model` (same samples for all); one `Run` per model.

    `sampling` overrides the task's sampling settings (`temperature`, `max_tokens`, `top_p`), e.g.
    `{"temperature": 0.7}` with `epochs=5` to measure within-question variance."""
    sampling = check_sampling(sampling)
    resolved = with_sampling(resolve_task(task, task_args), sampling)
    resolved.samples()  # dataset errors first, before any model is built
    task_ref = resolved.ref or resolved.name
    models = [model] if isinstance(model, str) else list(model)
    options = RunOptions(
        limit=limit,
        sample_ids=sample_ids,
        exclude_ids=exclude_ids or set(),
        epochs=epochs,
        seed=seed,
        cache=cache,
        cache_path=cache_path,
        variants=resolve_variants(perturb),
    )
    model_options = ModelOptions(
        base_url=base_url,
        model_args=dict(model_args or {}),
        max_connections=max_connections,
        timeout=timeout,
        max_retries=max_retries,
    )
    runs = []
    for name in models:
        provider = get_model(name, model_options)
        run_dir = new_run_dir(log_dir, resolved.name, name)
        spec = build_spec(
            resolved,
            task_ref,
            name,
            {"base_url": base_url, "args": model_options.model_args},
            {
                **{k: v for k, v in asdict(options).items() if k not in ("cache_path", "exclude_ids", "variants")},
                "perturb": list(perturb),
                "sampling": sampling,
                "exclude_ids": sorted(options.exclude_ids),
                "max_connections": max_connections,
                "timeout": timeout,
                "max_retries": max_retries,
            },
        )
        write_json_atomic(run_dir / "spec.json", spec)
        if on_run_start is not None:
            on_run_start(run_dir)
        runs.append(await _execute(resolved, provider, run_dir, options, spec, progress))
    return runs


# the connection settings a resume may change: name -> (type, least value, what is allowed)
CONNECTION_SETTINGS: dict[str, tuple[type, float, str]] = {
    "max_connections": (int, 1, "an integer >= 1"),
    "timeout": (float, 1e-9, "a number of seconds > 0"),
    "max_retries": (int, 0, "an integer >= 0"),
}
CONNECTION_OPTIONS = tuple(CONNECTION_SETTINGS)


def check_connection(connection: Mapping[str, Any] | None) -> dict[str, Any]:
    """The connection settings a resume may change, checked; any other key or a bad value is a ConfigError."""
    unknown = set(connection or {}) - set(CONNECTION_OPTIONS)
    if unknown:
        raise ConfigError(
            f"resume cannot change {', '.join(sorted(unknown))}", fix=f"only {', '.join(CONNECTION_OPTIONS)}"
        )
    checked = {}
    for key, value in (connection or {}).items():
        kind, least, what = CONNECTION_SETTINGS[key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= least
        if not ok or (kind is int and value != int(value)):
            raise ConfigError(f"--{key.replace('_', '-')}={value!r} is not {what}", fix=f"use {what}")
        checked[key] = kind(value)
    return checked


async def resume_async(
    run_dir: str | Path,
    *,
    progress: bool = False,
    cache_path: Path | None = None,
    connection: Mapping[str, Any] | None = None,
) -> Run:
    """Continue an interrupted run in place: finished samples are neither re-requested nor re-logged.

    `connection` may change `max_connections`, `timeout` and `max_retries` (recorded in the spec); every
    other setting is the run's own."""
    path = Path(run_dir)
    spec = read_spec(path)
    spec["run"].update(check_connection(connection))
    t, m, r = spec["task"], spec["model"], spec["run"]
    resolved = with_sampling(resolve_task(t["ref"], t.get("args") or {}), r.get("sampling"))
    if dataset_hash(resolved.samples()) != t["dataset_hash"]:
        raise RunDirError(
            f"the dataset of task {t['ref']!r} changed since {path} was started",
            fix="resume with the same data, or start a new run",
        )
    options = RunOptions(
        limit=r.get("limit"),
        sample_ids=r.get("sample_ids"),
        exclude_ids=set(r.get("exclude_ids") or []),
        epochs=r.get("epochs"),
        seed=r.get("seed", 0),
        cache=r.get("cache", True),
        cache_path=cache_path,
        variants=resolve_variants(r.get("perturb") or []),
    )
    model_options = ModelOptions(
        base_url=m.get("base_url"),
        model_args=m.get("args") or {},
        max_connections=r.get("max_connections", 32),
        timeout=r.get("timeout", 120.0),
        max_retries=r.get("max_retries", 8),
    )
    provider = get_model(m["name"], model_options)
    spec["status"] = "running"
    write_json_atomic(path / "spec.json", spec)
    return await _execute(resolved, provider, path, options, spec, progress)


async def _execute(
    task: Task, provider: Any, run_dir: Path, options: RunOptions, spec: dict[str, Any], show: bool
) -> Run:
    counters = Progress()
    display = ProgressDisplay(counters, f"{task.name} · {spec['model']['name']}") if show else None
    status = "interrupted"
    try:
        if display:
            display.start()
        # runs once the first requests are on their way, so it delays none of them
        asyncio.get_running_loop().call_soon(_preload_statistics)
        await run_samples(task, provider, run_dir, options, counters, on_flush=display.refresh if display else None)
        if display:
            display.stop()
            display = None
        # results.json is written before the run says "complete": a complete run always has its results
        records = list(iter_records(run_dir))
        results = compute_results(records, task.metric_names(), task.group_by)
        if task.analysis is not None:
            results["analysis"] = task.analysis(records)
        write_json_atomic(run_dir / RESULTS, results)
        status = "complete"
    except BaseException as exc:
        status = "failed" if isinstance(exc, Exception) else "interrupted"
        raise
    finally:
        if display:
            display.stop()
        await provider.aclose()
        spec["status"] = status
        write_json_atomic(run_dir / "spec.json", spec)
    return Run(run_dir)


def resolve_variants(names: Sequence[str]) -> dict[str, Transform]:
    """Perturbation names (`--perturb typo,case`) to the transforms that make each variant."""
    if not names:
        return {}
    from assay.perturb import get_perturbation

    return {name: get_perturbation(name) for name in names}


def _preload_statistics() -> None:
    """Import scipy (about a second) on a thread while the first requests are in flight, not after the last."""
    # not a daemon: a run interrupted mid-import must not tear the import down at interpreter exit
    threading.Thread(target=importlib.import_module, args=("assay.stats",)).start()


def evaluate(task: str | Task, model: str | Sequence[str], **kwargs: Any) -> list[Run]:
    """Synchronous `evaluate_async` (same arguments), for scripts and notebooks."""
    return asyncio.run(evaluate_async(task, model, **kwargs))


def resume(run_dir: str | Path, **kwargs: Any) -> Run:
    """Synchronous `resume_async`."""
    return asyncio.run(resume_async(run_dir, **kwargs))
