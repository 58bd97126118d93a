"""Finding tasks: built-ins, entry points (`assay.tasks`), Python files and YAML files."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from assay.core.task import REGISTRY, Task, TaskFactory, unknown_task_error
from assay.errors import TaskError

BUILTIN_MODULES = (
    "assay.suites.builtin",
    "assay.suites.safety",
    "assay.suites.alignment",
    "assay.suites.fairness.tasks",
)
_loaded_builtins = False


def load_builtin_tasks() -> None:
    """Import the built-in suites and entry-point plugins once, so they register."""
    global _loaded_builtins
    if _loaded_builtins:
        return
    _loaded_builtins = True
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in importlib.metadata.entry_points(group="assay.tasks"):
        loaded = ep.load()
        if callable(loaded) and ep.name not in REGISTRY:
            REGISTRY[ep.name] = loaded


def list_tasks() -> dict[str, str]:
    """Registered task names with the first line of their docstring."""
    load_builtin_tasks()
    return {name: ((fn.__doc__ or "").strip().splitlines() or [""])[0] for name, fn in sorted(REGISTRY.items())}


def _import_python_file(path: Path) -> dict[str, TaskFactory]:
    """Import a user's task file and return the `@task` functions it defines."""
    module_name = f"assay_user_tasks_{path.resolve().as_posix().replace('/', '_').replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise TaskError(f"cannot import {path}", fix="pass a Python file that defines @task functions")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise TaskError(
            f"importing {path} failed: {type(exc).__name__}: {exc}",
            where=str(path),
            fix="fix the error in the task file (run it with python to see the traceback)",
        ) from exc
    finally:
        sys.path.pop(0)
    return {value.__assay_task__: value for value in vars(module).values() if hasattr(value, "__assay_task__")}


def _pick(found: dict[str, Any], name: str | None, where: str) -> Any:
    if name is None:
        if len(found) == 1:
            return next(iter(found.values()))
        if not found:
            raise TaskError(f"{where} defines no tasks", fix="decorate a function with @assay.task")
        raise TaskError(
            f"{where} defines several tasks: {', '.join(sorted(found))}",
            fix=f"name one, e.g. {where}:{sorted(found)[0]}",
        )
    if name not in found:
        raise unknown_task_error(name, list(found), where=where)
    return found[name]


def resolve_task(spec: str | Task, task_args: dict[str, Any] | None = None) -> Task:
    """Turn "mmlu", "tasks.py:my_task" or "tasks.yaml[:name]" into a `Task`."""
    if isinstance(spec, Task):
        return spec
    task_args = task_args or {}
    path_part, _, name = spec.partition(":")
    path = Path(path_part)
    if path.suffix in (".py", ".yaml", ".yml"):
        if not path.is_file():
            raise TaskError(f"task file {path} does not exist", fix="check the path")
        if path.suffix == ".py":
            factory = _pick(_import_python_file(path), name or None, str(path))
            chosen = _call(factory, task_args, spec)
        else:
            from assay.core.task_yaml import load_yaml_tasks

            chosen = _pick(load_yaml_tasks(path), name or None, str(path))
        chosen.ref = f"{path.resolve()}:{chosen.name}"
        return chosen
    load_builtin_tasks()
    if spec not in REGISTRY:
        raise unknown_task_error(spec, list(REGISTRY))
    chosen = _call(REGISTRY[spec], task_args, spec)
    chosen.ref = spec
    return chosen


def _call(factory: TaskFactory, task_args: dict[str, Any], spec: str) -> Task:
    try:
        result = factory(**task_args)
    except TypeError as exc:
        raise TaskError(f"bad task arguments for {spec}: {exc}", fix=_task_args_fix(factory)) from exc
    return result


def _task_args_fix(factory: TaskFactory) -> str:
    """What the factory takes, with defaults, for an error about -T arguments."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return "check the -T key=value task arguments"
    taken = [p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}" for p in params]
    return f"it takes: {', '.join(taken)}" if taken else "it takes no arguments: drop -T"
