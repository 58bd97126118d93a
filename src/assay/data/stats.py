"""Per-step statistics: documents and bytes in and out, drop reasons, counters; merged across shards.

A run writes them to `stats.json` next to its output, and `assay data report` prints them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.data.errors import DataPipelineError

STATS_FILE = "stats.json"


@dataclass
class StepStats:
    """What one step did on one shard (or, merged, on the whole corpus).

    `dropped` counts documents removed by reason (e.g. `gopher:min_words`); `counters` counts anything
    else a step wants to report (`pii:email`, `duplicates`, `clusters`). `extra` carries per-shard
    findings a step merges itself at the end of a run (contamination matches); it is not written to
    `stats.json`.
    """

    name: str
    docs_in: int = 0
    docs_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    counters: Counter[str] = field(default_factory=Counter)
    extra: list[Any] = field(default_factory=list)

    def drop(self, reason: str) -> None:
        """Record one document dropped for `reason`."""
        self.dropped[reason] += 1

    def count(self, key: str, n: int = 1) -> None:
        """Add `n` to counter `key`."""
        self.counters[key] += n

    def merge(self, other: StepStats) -> None:
        """Add another shard's statistics into this one."""
        self.docs_in += other.docs_in
        self.docs_out += other.docs_out
        self.bytes_in += other.bytes_in
        self.bytes_out += other.bytes_out
        self.dropped.update(other.dropped)
        self.counters.update(other.counters)
        self.extra.extend(other.extra)

    def to_dict(self, *, with_extra: bool = False) -> dict[str, Any]:
        """JSON form; `extra` only where asked (markers keep it, `stats.json` does not)."""
        out: dict[str, Any] = {
            "name": self.name,
            "docs_in": self.docs_in,
            "docs_out": self.docs_out,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "dropped": dict(sorted(self.dropped.items())),
            "counters": dict(sorted(self.counters.items())),
        }
        if with_extra:
            out["extra"] = self.extra
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepStats:
        """Inverse of `to_dict`."""
        return cls(
            name=str(data["name"]),
            docs_in=int(data["docs_in"]),
            docs_out=int(data["docs_out"]),
            bytes_in=int(data["bytes_in"]),
            bytes_out=int(data["bytes_out"]),
            dropped=Counter(data.get("dropped", {})),
            counters=Counter(data.get("counters", {})),
            extra=list(data.get("extra", [])),
        )


@dataclass
class RunStats:
    """Statistics of a whole run: the reader, each step in pipeline order, and shard bookkeeping."""

    reader: StepStats
    steps: list[StepStats]
    shards: int = 0
    shards_skipped: int = 0
    elapsed_s: float = 0.0
    outputs: list[str] = field(default_factory=list)

    def step(self, name: str) -> StepStats:
        """The statistics of the first step called `name`."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON form written to `stats.json`."""
        return {
            "shards": self.shards,
            "shards_skipped": self.shards_skipped,
            "elapsed_s": round(self.elapsed_s, 3),
            "reader": self.reader.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
            "outputs": self.outputs,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunStats:
        """Inverse of `to_dict`."""
        return cls(
            reader=StepStats.from_dict(data["reader"]),
            steps=[StepStats.from_dict(s) for s in data["steps"]],
            shards=int(data.get("shards", 0)),
            shards_skipped=int(data.get("shards_skipped", 0)),
            elapsed_s=float(data.get("elapsed_s", 0.0)),
            outputs=list(data.get("outputs", [])),
        )


def load_stats(path: str | Path) -> RunStats:
    """Read `stats.json` from an output directory (or the file itself)."""
    p = Path(path)
    if p.is_dir():
        p = p / STATS_FILE
    if not p.exists():
        raise DataPipelineError(
            "no pipeline statistics found",
            where=str(p),
            fix="pass the output directory of a finished `assay data run`",
        )
    try:
        return RunStats.from_dict(json.loads(p.read_text()))
    except (ValueError, KeyError, TypeError) as e:
        raise DataPipelineError(f"statistics file is malformed: {e}", where=str(p)) from e


def format_report(stats: RunStats) -> str:
    """A plain-text table of the run (the CLI renders the same rows with rich)."""
    rows = [("step", "docs in", "docs out", "MB in", "MB out", "dropped / counters")]
    for s in [stats.reader, *stats.steps]:
        notes = ", ".join(f"{k}={v}" for k, v in [*s.dropped.items(), *s.counters.items()])
        rows.append(
            (s.name, str(s.docs_in), str(s.docs_out), f"{s.bytes_in / 1e6:.2f}", f"{s.bytes_out / 1e6:.2f}", notes)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5] for r in rows]
    head = f"shards: {stats.shards} (skipped as already done: {stats.shards_skipped}), {stats.elapsed_s:.1f}s"
    return "\n".join([head, *lines])
