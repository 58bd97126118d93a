"""The suite manifest: `LOG_DIR/<suite>-suite-<UTC time>.json`, written when a suite starts and updated as each
of its runs starts, so that an interrupted suite resumes (`assay run --resume MANIFEST`) without repeating a
finished run and still writes its one report.

It records how the suite was called (models, limit, judge, suite-wide task arguments, sampling, the model
and connection options), the run directories it has started, by name inside LOG_DIR, and, once complete,
the report's name and the paired model comparisons shown in it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assay.core.rundir import read_spec, write_json_atomic
from assay.errors import RunDirError

__all__ = ["RUNTIME_OPTIONS", "SuiteManifest"]

KIND = "assay suite"
RUNTIME_OPTIONS = ("progress", "on_run_start", "cache_path")
"""evaluate_async arguments that belong to this process (display, callbacks, test cache), not to the suite."""


@dataclass
class SuiteManifest:
    """A suite's record on disk: how it was called, its runs (directory names), status, report, comparisons."""

    path: Path
    suite: str
    models: list[str]
    limit: int | None
    judge: str | None
    judge_base_url: str | None
    task_args: dict[str, Any]
    sampling: dict[str, Any]
    options: dict[str, Any]
    runs: list[str] = field(default_factory=list)
    status: str = "running"
    report: str | None = None
    comparisons: dict[str, Any] = field(default_factory=dict)  # task -> paired model comparison (2+ models)

    @classmethod
    def create(
        cls,
        log_dir: str | Path,
        suite: str,
        models: Sequence[str],
        *,
        limit: int | None,
        judge: str | None,
        judge_base_url: str | None,
        task_args: Mapping[str, Any],
        sampling: Mapping[str, Any],
        options: Mapping[str, Any],
    ) -> SuiteManifest:
        directory = Path(log_dir)
        directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        path = directory / f"{suite}-suite-{stamp}.json"
        n = 1
        while path.exists():  # two suites started in the same second
            n += 1
            path = directory / f"{suite}-suite-{stamp}-{n}.json"
        kept = {k: sorted(v) if isinstance(v, (set, frozenset)) else v for k, v in options.items()}
        manifest = cls(
            path, suite, list(models), limit, judge, judge_base_url, dict(task_args), dict(sampling),
            {k: v for k, v in kept.items() if k not in RUNTIME_OPTIONS},
        )  # fmt: skip
        manifest.save()
        return manifest

    @classmethod
    def load(cls, path: str | Path) -> SuiteManifest:
        file = Path(path)
        try:
            data = json.loads(file.read_text())
            if data.pop("kind") != KIND:
                raise ValueError(f"its kind is not {KIND!r}")
            manifest = cls(path=file, **data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise RunDirError(
                f"{file} is not a suite manifest ({exc})",
                fix="pass the <suite>-suite-<time>.json file that `assay run SUITE` wrote in its --log-dir",
            ) from None
        if "exclude_ids" in manifest.options:
            manifest.options["exclude_ids"] = set(manifest.options["exclude_ids"])
        return manifest

    @property
    def report_path(self) -> Path:
        return self.path.with_name(self.path.name.replace("-suite-", "-report-", 1)).with_suffix(".md")

    def save(self) -> None:
        data = {"kind": KIND, **{k: v for k, v in asdict(self).items() if k != "path"}}
        write_json_atomic(self.path, data)

    def add_run(self, run_dir: Path) -> None:
        self.runs.append(run_dir.name)
        self.save()

    @property
    def run_dirs(self) -> list[Path]:
        """The run directories this suite has started, in order (they sit beside the manifest)."""
        return [self.path.parent / name for name in self.runs]

    def find_run(self, task: str, model: str, taken: Collection[Path] = ()) -> Path | None:
        """The run directory this suite started for (`task`, `model`), if any, other than those `taken`."""
        for path in self.run_dirs:
            spec = read_spec(path)
            if spec["task"]["name"] == task and spec["model"]["name"] == model and path not in taken:
                return path
        return None

    def set_status(self, status: str) -> None:
        self.status = status
        self.save()

    def finish(self, report: Path, comparisons: dict[str, Any]) -> None:
        self.status, self.report, self.comparisons = "complete", report.name, comparisons
        self.save()
