"""The run directory, the spine of assay: `spec.json`, `samples.jsonl`, `results.json`.

Plain files that other tools read without assay. `samples.jsonl` is append-only, one
record per (sample, epoch, variant); a torn last line left by a crash is ignored on
read and cut off before a resumed run appends. `spec.json` and `results.json` are
written atomically (temp file + rename), so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assay.errors import RunDirError

RecordKey = tuple[str, int, str]  # (sample id, epoch, variant): what pairs records across runs

SPEC = "spec.json"
SAMPLES = "samples.jsonl"
RESULTS = "results.json"


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def new_run_dir(log_dir: str | Path, task_name: str, model: str) -> Path:
    """Create `LOG_DIR/<UTC time>_<task>_<model>_<random>`; never reuses a directory."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{task_name}_{model}").strip("-")[:80]
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = Path(log_dir) / f"{stamp}_{slug}_{secrets.token_hex(3)}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def read_spec(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / SPEC
    if not path.is_file():
        raise RunDirError(
            f"{run_dir} is not an assay run directory (no {SPEC})",
            fix="pass a directory that `assay run` created (see --log-dir, default ./assay-runs)",
        )
    try:
        spec: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RunDirError(f"{path} is not valid JSON: {exc}", where=str(path)) from exc
    return spec


def read_results(run_dir: Path) -> dict[str, Any] | None:
    path = Path(run_dir) / RESULTS
    if not path.is_file():
        return None
    results: dict[str, Any] = json.loads(path.read_text())
    return results


def record_key(record: dict[str, Any]) -> RecordKey:
    """A record's identity: one per (sample, epoch, variant) in a run, the same in every run of the task."""
    return str(record["sample_id"]), int(record["epoch"]), record.get("variant", "")


def iter_records(run_dir: Path) -> Iterator[dict[str, Any]]:
    """Yield the complete records of `samples.jsonl`; a torn last line is skipped."""
    path = Path(run_dir) / SAMPLES
    if not path.exists():
        return
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.endswith(b"\n"):
                return  # torn by a crash mid-write: the sample was not finished
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise RunDirError(
                    f"line {lineno} of {path} is not valid JSON",
                    where=f"{path}:{lineno}",
                    fix="the log was edited or corrupted; remove that line to resume",
                ) from exc


def cut_torn_tail(run_dir: Path) -> int:
    """Truncate `samples.jsonl` after its last complete line; returns bytes removed."""
    path = Path(run_dir) / SAMPLES
    if not path.exists():
        return 0
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as f:
        chunk = min(size, 1 << 20)
        f.seek(size - chunk)
        tail = f.read(chunk)
        if tail.endswith(b"\n"):
            return 0
        cut = tail.rfind(b"\n")
        new_size = size - chunk + cut + 1 if cut >= 0 else (0 if chunk == size else size)
        f.truncate(new_size)
        return size - new_size


class SampleLog:
    """Buffered appender for `samples.jsonl`.

    Records are serialised as they arrive and written in batches; `flush` hands them
    to the OS (safe against kill -9 of this process), `close` also fsyncs.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / SAMPLES
        self._file = open(self.path, "ab")  # noqa: SIM115 - held open across appends, closed in close()
        self._pending: list[bytes] = []
        self.written = 0

    def append(self, record: dict[str, Any]) -> None:
        self._pending.append(json.dumps(record, ensure_ascii=False, default=str).encode() + b"\n")

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        if not self._pending:
            return 0
        n = len(self._pending)
        self._file.write(b"".join(self._pending))
        self._file.flush()
        self._pending.clear()
        self.written += n
        return n

    def close(self) -> None:
        self.flush()
        os.fsync(self._file.fileno())
        self._file.close()
