"""`Task` and the `@task` registry: what to ask, how to score it, which metrics to report.

Tasks are found by name (built-ins, `@task` functions, the `assay.tasks` entry-point
group), or loaded from a file: `my_tasks.py:my_task`, `tasks.yaml:name`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, overload

from assay.core.sample import Sample
from assay.errors import TaskError
from assay.models.base import GenerateConfig, Model, Request, Response
from assay.scorers.base import Scorer

P = ParamSpec("P")


@dataclass
class Task:
    """An evaluation: a dataset, a prompt template, a scorer and the metrics to report.

    `dataset` is a list of samples or a zero-argument callable returning one (loaded
    lazily, so listing tasks stays fast). `cluster_by` names a metadata field whose
    value becomes each sample's cluster, for clustered standard errors (questions that share a
    passage); `group_by` names one to report results by (strata such as subjects) without
    clustering.

    >>> from assay.scorers import exact_match
    >>> t = Task(dataset=[Sample(input="2+2=", target="4")], scorer=exact_match(), name="add")
    >>> len(t.samples())
    1
    """

    dataset: Sequence[Sample] | Callable[[], Sequence[Sample]]
    scorer: Scorer
    template: Any = None  # a core.template.Template, a Jinja2 string, or None for "{{ input }}"
    metrics: Sequence[str] | None = None
    name: str = ""
    epochs: int = 1
    cluster_by: str | None = None
    group_by: str | None = None  # a metadata field to break results down by (a stratum; not used for SEs)
    config: GenerateConfig = field(default_factory=GenerateConfig)
    version: str = "1"
    args: dict[str, Any] = field(default_factory=dict)
    ref: str = ""  # how to find this task again ("mmlu", "/abs/tasks.py:name"), for resume
    # multi-turn tasks: async (sample, first request, model) -> final response, instead of one model call
    solver: Callable[[Sample, Request, Model], Awaitable[Response]] | None = None
    # task-specific results beyond per-metric means (bias scores, per-type rates...), stored under "analysis"
    analysis: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise TaskError(f"task {self.name!r} has epochs={self.epochs}", fix="use epochs >= 1")
        self._samples: list[Sample] | None = None

    def samples(self) -> list[Sample]:
        """The dataset as a list, loaded once, with clusters filled from `cluster_by`."""
        if self._samples is None:
            loaded = list(self.dataset() if callable(self.dataset) else self.dataset)
            if not loaded:
                raise TaskError(
                    f"task {self.name!r} has an empty dataset",
                    fix="check the dataset path, field mapping and any filters",
                )
            if self.cluster_by:
                for s in loaded:
                    if s.cluster is None:
                        value = s.metadata.get(self.cluster_by)
                        if value is None:
                            raise TaskError(
                                f"sample {s.id} has no metadata field {self.cluster_by!r} to cluster by",
                                where=f"task {self.name!r}",
                                fix="map the column into metadata, or remove cluster_by",
                            )
                        s.cluster = str(value)
            self._samples = loaded
        return self._samples

    def metric_names(self) -> list[str]:
        return list(self.metrics) if self.metrics else list(self.scorer.metrics)


TaskFactory = Callable[..., Task]
REGISTRY: dict[str, TaskFactory] = {}


@overload
def task(fn: Callable[P, Task], /) -> Callable[P, Task]: ...
@overload
def task(*, name: str | None = None) -> Callable[[Callable[P, Task]], Callable[P, Task]]: ...


def task(fn: Any = None, /, *, name: str | None = None) -> Any:
    """Register a function returning a `Task` under its name (or `name=`).

    >>> @task
    ... def addition():
    ...     return Task(dataset=[Sample(input="1+1=", target="2")], scorer=exact_match())
    """

    def decorate(f: Callable[P, Task]) -> Callable[P, Task]:
        task_name = name or f.__name__

        @functools.wraps(f)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Task:
            result = f(*args, **kwargs)
            if not isinstance(result, Task):
                raise TaskError(f"@task function {task_name!r} returned {type(result).__name__}, not a Task")
            result.name = result.name or task_name
            result.args = {**result.args, **kwargs}
            return result

        wrapper.__assay_task__ = task_name  # type: ignore[attr-defined]
        REGISTRY[task_name] = wrapper
        return wrapper

    if fn is not None:
        return decorate(fn)
    return decorate


def generates(task_name: str, mode: str) -> bool:
    """Whether a task's `mode` argument asks for generation ("generate") rather than log-likelihood
    scoring ("loglikelihood", the default of every task that offers both); any other mode is a TaskError.

    >>> generates("mmlu", "generate"), generates("mmlu", "loglikelihood")
    (True, False)
    """
    if mode not in ("loglikelihood", "generate"):
        raise TaskError(f"{task_name} mode {mode!r} is not known", fix="use -T mode=loglikelihood or -T mode=generate")
    return mode == "generate"


def unknown_task_error(name: str, known: Sequence[str], where: str | None = None) -> TaskError:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return TaskError(
        f"unknown task {name!r}",
        where=where,
        fix=f"{hint}`assay list tasks` shows the tasks; a file task is written path.py:function or path.yaml",
    )
