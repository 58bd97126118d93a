"""Run the real `assay` command line in a subprocess, as a user would."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ASSAY = [sys.executable, "-m", "assay.cli"]


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ASSAY, *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout
    )


def run_dirs(log_dir: Path) -> list[Path]:
    return sorted(p for p in log_dir.iterdir() if (p / "spec.json").is_file())


def records(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]


def wait_for_records(run_parent: Path, at_least: int, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dirs = run_dirs(run_parent) if run_parent.exists() else []
        log = dirs[0] / "samples.jsonl" if dirs else None
        if log is not None and log.exists() and log.read_bytes().count(b"\n") >= at_least:
            return dirs[0]
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} records after {timeout} s")
