"""What `spec.json` records: everything needed to reproduce or resume a run."""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import subprocess
import sys
import time
from importlib import metadata
from typing import Any

from assay.core.sample import Sample
from assay.core.task import Task


def dataset_hash(samples: list[Sample]) -> str:
    """Hash of ids, inputs, choices and targets: two runs with equal hashes saw the same data."""
    h = hashlib.sha256()
    for s in samples:
        h.update(json.dumps([s.id, s.input, s.choices, s.target], ensure_ascii=False, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


def git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=2, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("assay", "numpy", "scipy", "aiohttp", "torch", "transformers"):
        if package in ("torch", "transformers") and package not in sys.modules:
            continue  # only record what this run actually used
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    return found


def build_spec(
    task: Task, task_ref: str, model: str, model_spec: dict[str, Any], run: dict[str, Any]
) -> dict[str, Any]:
    from assay.core.template import Template

    samples = task.samples()
    return {
        "format": "assay-run/1",
        "status": "running",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "task": {
            "name": task.name,
            "ref": task_ref,
            "args": task.args,
            "version": task.version,
            "metrics": task.metric_names(),
            "epochs": task.epochs,
            "cluster_by": task.cluster_by,
            "group_by": task.group_by,
            "scorer": task.scorer.spec(),
            "template": Template.coerce(task.template).spec(),
            "config": task.config.to_dict(),
            "dataset_hash": dataset_hash(samples),
            "dataset_size": len(samples),
        },
        "model": {"name": model, **model_spec},
        "run": run,
        "versions": versions(),
        "git_revision": git_revision(),
        "command": sys.argv,
    }
