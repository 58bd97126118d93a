"""Live progress for long runs (rich, on stderr): done, rate, errors, ETA."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from assay.core.runner import Progress as Counters


class ProgressDisplay:
    def __init__(self, counters: Counters, label: str) -> None:
        self.counters = counters
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>7.1f}/s"),
            TextColumn("cached {task.fields[cached]}"),
            TextColumn("errors {task.fields[errors]}"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            refresh_per_second=4,
        )
        self._task = self._progress.add_task(label, total=None, rate=0.0, cached=0, errors=0)

    def start(self) -> None:
        self._progress.start()

    def refresh(self) -> None:
        c = self.counters
        elapsed = max(time.monotonic() - c.started, 1e-9)
        self._progress.update(
            self._task,
            total=c.total,
            completed=c.done,
            rate=(c.done - c.resumed) / elapsed,
            cached=c.cached,
            errors=c.errors,
        )

    def stop(self) -> None:
        self.refresh()
        self._progress.stop()
