"""assay: the empirical science of language models, with honest uncertainty.

    import assay
    runs = assay.evaluate("mmlu", model="hf/smollm2", limit=50)
    print(runs[0].summary())

Names are imported on first use, so `import assay` (and the CLI) start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "task": "assay.core.task",
    "Task": "assay.core.task",
    "Sample": "assay.core.sample",
    "Template": "assay.core.template",
    "load_dataset": "assay.core.dataset",
    "evaluate": "assay.core.evaluate",
    "evaluate_async": "assay.core.evaluate",
    "resume": "assay.core.evaluate",
    "resume_async": "assay.core.evaluate",
    "run_suite": "assay.suites.registry",
    "run_suite_async": "assay.suites.registry",
    "resume_suite": "assay.suites.registry",
    "resume_suite_async": "assay.suites.registry",
    "read_run": "assay.core.run",
    "Run": "assay.core.run",
    "resolve_task": "assay.core.discovery",
    "list_tasks": "assay.core.discovery",
    "get_model": "assay.models.registry",
    "GenerateConfig": "assay.models.base",
    "Request": "assay.models.base",
    "Response": "assay.models.base",
    "Score": "assay.scorers.base",
    "Scorer": "assay.scorers.base",
    "Estimate": "assay.stats.estimate",
    "AssayError": "assay.errors",
}

__all__ = [
    "AssayError",
    "Estimate",
    "GenerateConfig",
    "Request",
    "Response",
    "Run",
    "Sample",
    "Score",
    "Scorer",
    "Task",
    "Template",
    "evaluate",
    "evaluate_async",
    "get_model",
    "list_tasks",
    "load_dataset",
    "read_run",
    "resolve_task",
    "resume",
    "resume_async",
    "resume_suite",
    "resume_suite_async",
    "run_suite",
    "run_suite_async",
    "task",
]

if TYPE_CHECKING:
    from assay.core.dataset import load_dataset
    from assay.core.discovery import list_tasks, resolve_task
    from assay.core.evaluate import evaluate, evaluate_async, resume, resume_async
    from assay.core.run import Run, read_run
    from assay.core.sample import Sample
    from assay.core.task import Task, task
    from assay.core.template import Template
    from assay.errors import AssayError
    from assay.models.base import GenerateConfig, Request, Response
    from assay.models.registry import get_model
    from assay.scorers.base import Score, Scorer
    from assay.stats.estimate import Estimate
    from assay.suites.registry import resume_suite, resume_suite_async, run_suite, run_suite_async


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assay' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
