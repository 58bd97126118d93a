"""Run the real `assay` command line in a subprocess, as a user would."""

import os
import subprocess
import sys
from pathlib import Path

ASSAY = [sys.executable, "-m", "assay.cli"]


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ASSAY, *args], capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout
    )
