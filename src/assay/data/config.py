"""Pipeline YAML -> `Pipeline` and executor, with errors that name the file and the offending key.

input: corpus/*.jsonl.gz   # or {path, text_key, id_key, on_error, shard_bytes} or {hf, name, split, num_shards}
output: {path: out/, format: jsonl.gz}
executor: {kind: local, workers: 4}   # or {kind: ray, address: auto}
steps:
  - exact_dedup
  - near_dedup: {threshold: 0.8, bands: 20, rows: 6}
  - gopher_quality: {min_words: 50}
  - pii: {mode: scrub}
  - toxicity: {threshold: 0.8}
  - contamination: {tasks: [mmlu], preset: gpt3, action: drop}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from assay.core.sample import Sample
from assay.data.dedup import ExactDedup, NearDedup
from assay.data.errors import DataPipelineError
from assay.data.filters_quality import C4Filter, GopherQualityFilter, GopherRepetitionFilter
from assay.data.pii import PiiScrubber
from assay.data.pipeline import Executor, Pipeline
from assay.data.readers import FileReader, HFReader, Reader
from assay.data.toxicity import ToxicityFilter
from assay.data.writers import make_writer

STEPS: dict[str, type[Any]] = {
    "exact_dedup": ExactDedup,
    "near_dedup": NearDedup,
    "gopher_quality": GopherQualityFilter,
    "gopher_repetition": GopherRepetitionFilter,
    "c4": C4Filter,
    "pii": PiiScrubber,
    "toxicity": ToxicityFilter,
}


def task_samples(names: list[str]) -> dict[str, list[Sample]]:
    """Resolve assay task names to their samples through the task registry (imported lazily)."""
    try:
        from assay.core.discovery import resolve_task
    except ImportError:  # pragma: no cover - older layout
        from assay.core.task import resolve_task  # type: ignore[attr-defined,no-redef]
    out: dict[str, list[Sample]] = {}
    for name in names:
        t = resolve_task(name)
        out[name] = list(t.samples())
    return out


def _kwargs(cls: type[Any], params: Any, where: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise DataPipelineError(f"expected a mapping of options, got {params!r}", where=where)
    valid = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in skip]
    for key in params:
        if key not in valid:
            raise DataPipelineError(
                f"unknown option {key!r}", where=f"{where}.{key}", fix=f"valid options: {', '.join(valid)}"
            )
    return dict(params)


def make_step(item: Any, where: str, resolve: Callable[[list[str]], dict[str, list[Sample]]] = task_samples) -> Any:
    """One step from a YAML list item: `name` or `{name: {options}}`."""
    if isinstance(item, str):
        name, params = item, None
    elif isinstance(item, dict) and len(item) == 1:
        name, params = next(iter(item.items()))
    else:
        raise DataPipelineError(
            f"a step must be a name or a one-key mapping, got {item!r}", where=where, fix="e.g. `- near_dedup: {}`"
        )
    if name == "contamination":
        from assay.data.contamination import ContaminationScan

        opts = _kwargs(ContaminationScan, params, f"{where}.contamination")
        tasks = opts.pop("tasks", None)
        if not tasks:
            raise DataPipelineError("contamination needs `tasks`", where=f"{where}.contamination.tasks")
        names = tasks.split(",") if isinstance(tasks, str) else list(tasks)
        if "fields" in opts:
            opts["fields"] = tuple(opts["fields"])
        return ContaminationScan(tasks=resolve(names), **opts)
    if name not in STEPS:
        raise DataPipelineError(
            f"unknown step {name!r}", where=where, fix=f"steps are: {', '.join([*STEPS, 'contamination'])}"
        )
    cls = STEPS[name]
    try:
        return cls(**_kwargs(cls, params, f"{where}.{name}"))
    except TypeError as e:
        raise DataPipelineError(f"invalid options for {name}: {e}", where=f"{where}.{name}") from e


def make_reader(spec: Any, where: str) -> Reader:
    """The reader for the `input` key."""
    if isinstance(spec, str | list):
        return FileReader(spec)
    if not isinstance(spec, dict):
        raise DataPipelineError(f"invalid input {spec!r}", where=where, fix="a path, a glob, or a mapping")
    spec = dict(spec)
    if "hf" in spec:
        spec["path"] = spec.pop("hf")
        return HFReader(**_kwargs(HFReader, spec, where))
    if "path" not in spec:
        raise DataPipelineError("input needs `path` (or `hf`)", where=where)
    spec["paths"] = spec.pop("path")
    return FileReader(**_kwargs(FileReader, spec, where))


def make_executor(spec: Any, where: str) -> Executor:
    """The executor for the `executor` key (default: local processes)."""
    from assay.data.executor_local import LocalExecutor

    spec = dict(spec or {})
    kind = spec.pop("kind", "local")
    if kind == "local":
        return LocalExecutor(**_kwargs(LocalExecutor, spec, where))
    if kind == "ray":
        from assay.data.executor_ray import RayExecutor

        return RayExecutor(**_kwargs(RayExecutor, spec, where))
    raise DataPipelineError(f"unknown executor kind {kind!r}", where=f"{where}.kind", fix="use local or ray")


def load_pipeline(
    path: str | Path, resolve: Callable[[list[str]], dict[str, list[Sample]]] = task_samples
) -> tuple[Pipeline, Executor]:
    """Read a pipeline YAML file; relative paths in it are relative to the file."""
    p = Path(path)
    try:
        cfg = yaml.safe_load(p.read_text())
    except FileNotFoundError as e:
        raise DataPipelineError("pipeline file not found", where=str(p)) from e
    except yaml.YAMLError as e:
        raise DataPipelineError(f"invalid YAML: {e}", where=str(p)) from e
    if not isinstance(cfg, dict):
        raise DataPipelineError("a pipeline file must be a mapping", where=str(p), fix="see `assay data run --help`")
    known = ("input", "output", "executor", "steps")
    for key in cfg:
        if key not in known:
            raise DataPipelineError(f"unknown key {key!r}", where=f"{p}: {key}", fix=f"keys are {', '.join(known)}")
    for key in ("input", "output", "steps"):
        if key not in cfg:
            raise DataPipelineError(f"missing key {key!r}", where=str(p))
    base = p.parent

    def rel(x: Any) -> Any:
        if isinstance(x, str) and not Path(x).is_absolute() and "://" not in x:
            return str(base / x)
        return x

    inp = cfg["input"]
    if isinstance(inp, dict) and "path" in inp:
        inp = {**inp, "path": rel(inp["path"]) if isinstance(inp["path"], str) else [rel(x) for x in inp["path"]]}
    elif isinstance(inp, str):
        inp = rel(inp)
    elif isinstance(inp, list):
        inp = [rel(x) for x in inp]
    reader = make_reader(inp, f"{p}: input")
    out = cfg["output"]
    out = {"path": out} if isinstance(out, str) else dict(out)
    fmt = out.pop("format", "jsonl.gz")
    if "path" not in out or set(out) - {"path"}:
        raise DataPipelineError("output is a path or {path, format}", where=f"{p}: output")
    steps = cfg["steps"] or []
    if not isinstance(steps, list):
        raise DataPipelineError("steps must be a list", where=f"{p}: steps")
    built = [make_step(s, f"{p}: steps[{i}]", resolve) for i, s in enumerate(steps)]
    pipe = Pipeline(reader, built, rel(out["path"]), writer=make_writer(fmt))
    return pipe, make_executor(cfg.get("executor"), f"{p}: executor")
