"""Tasks defined in YAML, for the simple cases that need no Python.

    name: capitals
    dataset: {path: capitals.jsonl, fields: {input: question, target: answer}}
    template: "Q: {{ input }}\\nA:"
    scorer: exact_match            # or {name: regex_match, pattern: "..."}
    metrics: [accuracy]
    epochs: 1
    cluster_by: region
    config: {max_tokens: 16, temperature: 0}

A file holds one task, or several under `tasks:`. Relative dataset paths are
relative to the YAML file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assay.core.task import Task
from assay.errors import ConfigError
from assay.models.base import GenerateConfig
from assay.scorers.base import Scorer

TASK_KEYS = {
    "name",
    "dataset",
    "template",
    "scorer",
    "metrics",
    "epochs",
    "cluster_by",
    "group_by",
    "config",
    "version",
}


def load_yaml_tasks(path: Path) -> dict[str, Task]:
    """Read every task in a YAML file, keyed by name."""
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        raise ConfigError(f"invalid YAML: {exc}", where=where, fix="fix the YAML syntax") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", where=str(path)) from exc
    if not isinstance(doc, dict):
        raise ConfigError("a task file must be a mapping", where=str(path), fix="see `assay run --help` for the format")
    entries = doc.get("tasks", [doc])
    if not isinstance(entries, list):
        raise ConfigError("`tasks:` must be a list of task mappings", where=str(path))
    tasks: dict[str, Task] = {}
    for i, entry in enumerate(entries):
        where = f"{path}, task {i + 1}"
        t = _task_from_mapping(entry, path.parent, where)
        tasks[t.name] = t
    return tasks


def _task_from_mapping(entry: Any, base: Path, where: str) -> Task:
    if not isinstance(entry, dict):
        raise ConfigError("a task must be a mapping", where=where)
    unknown = set(entry) - TASK_KEYS
    if unknown:
        raise ConfigError(
            f"unknown task key(s): {', '.join(sorted(unknown))}", where=where, fix=f"valid keys: {sorted(TASK_KEYS)}"
        )
    for key in ("name", "dataset", "scorer"):
        if key not in entry:
            raise ConfigError(f"task is missing `{key}`", where=where)
    name = str(entry["name"])
    where = f"{where} ({name})"
    from assay.core.template import Template

    template = entry.get("template")
    if isinstance(template, dict):
        template = Template(**template)
    try:
        config = GenerateConfig(**(entry.get("config") or {}))
    except TypeError as exc:
        raise ConfigError(
            f"bad `config`: {exc}", where=where, fix="keys: max_tokens, temperature, top_p, stop, seed"
        ) from exc
    return Task(
        name=name,
        dataset=_dataset_loader(entry["dataset"], base, where),
        template=template,
        scorer=scorer_from_spec(entry["scorer"], where),
        metrics=entry.get("metrics"),
        epochs=int(entry.get("epochs", 1)),
        cluster_by=entry.get("cluster_by"),
        group_by=entry.get("group_by"),
        config=config,
        version=str(entry.get("version", "1")),
    )


def _dataset_loader(spec: Any, base: Path, where: str) -> Any:
    from assay.core.dataset import load_dataset

    if isinstance(spec, str):
        spec = {"path": spec}
    if not isinstance(spec, dict) or "path" not in spec:
        raise ConfigError("`dataset` must be a path or a mapping with `path`", where=where)
    source = str(spec["path"])
    if not source.startswith("hf:") and not Path(source).is_absolute():
        source = str(base / source)
    options = {k: v for k, v in spec.items() if k != "path"}
    return lambda: load_dataset(source, **options)


def scorer_from_spec(spec: Any, where: str) -> Scorer:
    """Build a scorer from `name` or `{name: ..., **options}` using the public scorer factories."""
    import assay.scorers as scorers

    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError("`scorer` must be a name or a mapping with `name`", where=where)
    options = {k: v for k, v in spec.items() if k != "name"}
    factory = getattr(scorers, str(spec["name"]), None)
    names = [n for n in getattr(scorers, "__all__", []) if n[0].islower()]
    if factory is None or not callable(factory):
        raise ConfigError(f"unknown scorer {spec['name']!r}", where=where, fix=f"scorers: {', '.join(names)}")
    try:
        scorer: Scorer = factory(**options)
    except TypeError as exc:
        raise ConfigError(f"bad options for scorer {spec['name']!r}: {exc}", where=where) from exc
    return scorer
