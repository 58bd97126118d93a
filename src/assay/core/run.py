"""`Run`: a finished (or interrupted) run directory, read back as Python objects."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.core.rundir import iter_records, read_results, read_spec

if TYPE_CHECKING:
    from assay.stats.estimate import Estimate


class Run:
    """A run directory: `spec`, `results` (metric -> Estimate), `records()`.

    >>> run = read_run("assay-runs/20260101T000000Z_mmlu_hf-smollm2_abc123")  # doctest: +SKIP
    >>> run.results["acc"].ci_low                                               # doctest: +SKIP
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.spec: dict[str, Any] = read_spec(self.path)

    @cached_property
    def raw_results(self) -> dict[str, Any] | None:
        return read_results(self.path)

    @property
    def results(self) -> dict[str, Estimate]:
        from assay.stats.estimate import Estimate

        raw = self.raw_results or {}
        return {name: Estimate.from_dict(e) for name, e in raw.get("metrics", {}).items()}

    @property
    def groups(self) -> dict[str, dict[str, Estimate]]:
        from assay.stats.estimate import Estimate

        raw = self.raw_results or {}
        return {
            g: {m: Estimate.from_dict(e) for m, e in metrics.items()} for g, metrics in raw.get("groups", {}).items()
        }

    @property
    def task(self) -> str:
        return str(self.spec["task"]["name"])

    @property
    def model(self) -> str:
        return str(self.spec["model"]["name"])

    @property
    def status(self) -> str:
        return str(self.spec.get("status", "unknown"))

    def records(self) -> Iterator[dict[str, Any]]:
        return iter_records(self.path)

    def summary(self) -> str:
        from assay.report.tables import run_table

        return run_table(self)

    def __repr__(self) -> str:
        metrics = ", ".join(f"{k}={v.value:.4f}" for k, v in self.results.items())
        return f"Run({self.task} · {self.model} · {self.status}: {metrics or 'no results'} · {self.path})"


def read_run(path: str | Path) -> Run:
    return Run(path)
