"""Terminal tables for runs: value, 95% CI, n and the method behind the interval."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from assay.core.run import Run
    from assay.stats.estimate import Estimate


def estimate_row(name: str, e: Estimate) -> list[str]:
    level = f"{round(e.level * 100)}%"
    ci = f"[{e.ci_low:.4f}, {e.ci_high:.4f}]"
    clusters = f"{e.n_clusters}" if e.n_clusters else ""
    return [name, f"{e.value:.4f}", f"{e.se:.4f}", f"{ci} {level}", str(e.n), clusters, e.method]


def run_table(run: Run) -> str:
    table = Table(title=f"{run.task} · {run.model}", title_justify="left")
    for column in ("metric", "value", "SE", "CI", "n", "clusters", "method"):
        table.add_column(column, justify="left" if column in ("metric", "method") else "right")
    for name, e in run.results.items():
        table.add_row(*estimate_row(name, e))
    groups = run.groups
    if groups:
        for group, metrics in groups.items():
            for name, e in metrics.items():
                table.add_row(*estimate_row(f"  {group} · {name}", e))
    buffer = io.StringIO()
    Console(file=buffer, width=120, force_terminal=False).print(table)
    raw = (run.raw_results or {}).get("metrics", {})
    by_text: dict[str, list[str]] = {}  # one line per warning, naming every metric it applies to
    for name, m in raw.items():
        if m.get("warning"):
            by_text.setdefault(m["warning"], []).append(name)
    warnings = [f"warning ({', '.join(names)}): {text}\n" for text, names in by_text.items()]
    skipped = (run.raw_results or {}).get("not_estimated", {})
    warnings += [f"not estimated ({name}): {why}\n" for name, why in skipped.items()]
    footer = "".join(warnings) + f"status: {run.status}   run directory: {run.path}"
    return buffer.getvalue() + footer
