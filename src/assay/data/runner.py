"""Runs a `Pipeline`: plans stages around global steps, maps shard tasks on an executor, resumes from markers.

Layout of an output directory:

    part-00000.jsonl.gz ...     the output, one file per shard (an input file, or a part of a large one)
    stats.json                  per-step statistics of the whole run
    _assay/pipeline.json        fingerprint of the pipeline that wrote this directory
    _assay/markers/             one JSON per finished (stage, shard) and per finished reduce
    _assay/work/                intermediate shards and collected arrays (removed after success)

A stage reads a source (the input, or an earlier stage's intermediate shards), applies its ops (local
steps, and the `apply` phase of earlier global steps) and ends by collecting for the next global step or by
writing the output. An intermediate is only written when a stage ran local steps; otherwise the next stage
re-reads the same source and re-applies the cheap drop lists, which keeps the common "dedup first" pipeline
to two passes over the input and no copy.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assay.data.document import Document
from assay.data.errors import DataPipelineError
from assay.data.pipeline import Executor, Pipeline, is_global
from assay.data.readers import Shard, read_jsonl
from assay.data.stats import STATS_FILE, RunStats, StepStats

META = "_assay"


@dataclass(frozen=True)
class Op:
    """One operation of a stage: a local step, or the apply phase of a global step."""

    kind: str  # "step" | "apply"
    step: int
    count: bool  # count statistics here (an apply re-run in a later stage is not counted twice)


@dataclass(frozen=True)
class Stage:
    """A pass over every shard."""

    index: int
    source: int | None  # None: the pipeline's reader; k: intermediate shards written by stage k
    ops: tuple[Op, ...]
    collect: int | None  # index of the global step this stage collects for; None for the final stage
    materialize: bool


def plan(steps: list[Any]) -> list[Stage]:
    """Split the steps into stages at each global step."""
    stages: list[Stage] = []
    source: int | None = None
    ops: list[Op] = []
    local = False
    for i, step in enumerate(steps):
        if not is_global(step):
            ops.append(Op("step", i, True))
            local = True
            continue
        stages.append(Stage(len(stages), source, tuple(ops), i, local))
        if local:
            source, ops = len(stages) - 1, []
        ops = [Op(o.kind, o.step, False) for o in ops] + [Op("apply", i, True)]
        local = False
    stages.append(Stage(len(stages), source, tuple(ops), None, False))
    return stages


@dataclass
class ShardTask:
    """Everything a worker needs to run one stage on one shard (pickled to local processes or Ray)."""

    pipeline: Pipeline
    stage: Stage
    shard: Shard
    root: str
    work: str


def _marker(work: Path, stage: int, shard: int) -> Path:
    return work / "markers" / f"stage{stage}-{shard:05d}.json"


def _out_path(p: Pipeline, shard: Shard) -> Path:
    assert p.output is not None
    return Path(p.output) / f"part-{shard.index:05d}.{p.writer.format}"


def _counted(docs: Iterator[Document], stats: StepStats, side: str) -> Iterator[Document]:
    for d in docs:
        if side == "in":
            stats.docs_in += 1
            stats.bytes_in += d.nbytes
        else:
            stats.docs_out += 1
            stats.bytes_out += d.nbytes
        yield d


def _write_jsonl(docs: Iterator[Document], fh: Any) -> Iterator[Document]:
    for d in docs:
        fh.write(json.dumps(d.to_dict(), ensure_ascii=False).encode("utf-8", "surrogatepass") + b"\n")
        yield d


def run_shard(task: ShardTask) -> dict[str, Any]:
    """Run one stage on one shard, or return the recorded result if a marker says it is done."""
    work, stage, shard, p = Path(task.work), task.stage, task.shard, task.pipeline
    marker = _marker(work, stage.index, shard.index)
    if marker.exists():
        result: dict[str, Any] = json.loads(marker.read_text())
        result["skipped"] = True
        return result
    reader_stats = StepStats("read")
    if stage.source is None:
        docs: Iterator[Document] = p.reader.read(shard, reader_stats)
    else:
        src = work / f"stage{stage.source}" / f"{shard.index:05d}.jsonl"
        docs = read_jsonl(Shard(shard.index, shard.name, str(src)), reader_stats, allow_empty=True)
    op_stats: list[StepStats] = []
    for op in stage.ops:
        step = p.steps[op.step]
        st = StepStats(step.name)
        op_stats.append(st)
        docs = _counted(docs, st, "in")
        if op.kind == "step":
            docs = step.process(docs, st)
        else:
            drop = np.load(work / f"global{op.step}" / f"drop-{shard.index:05d}.npy")
            docs = step.apply(docs, drop, st)
        docs = _counted(docs, st, "out")
    out: str | None = None
    if stage.collect is not None:
        cdir = work / f"global{stage.collect}" / f"collect-{shard.index:05d}"
        cdir.mkdir(parents=True, exist_ok=True)
        gstats = StepStats(p.steps[stage.collect].name)
        fh = None
        if stage.materialize:
            mdir = work / f"stage{stage.index}"
            mdir.mkdir(parents=True, exist_ok=True)
            fh = open(mdir / f"{shard.index:05d}.jsonl", "wb")  # noqa: SIM115 - closed below
            docs = _write_jsonl(docs, fh)
        try:
            arrays = p.steps[stage.collect].collect(docs, gstats)
        finally:
            if fh is not None:
                fh.close()
        for key, arr in arrays.items():
            np.save(cdir / f"{key}.npy", arr)
    elif p.output is not None:
        path = _out_path(p, shard)
        p.writer.write(docs, path)
        out = str(path)
    else:
        for _ in docs:
            pass
    result = {
        "reader": reader_stats.to_dict(with_extra=True),
        "ops": [s.to_dict(with_extra=True) for s in op_stats],
        "output": out,
    }
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, marker)  # the marker appears only once the shard's files are complete
    result["skipped"] = False
    return result


def _check_dir(p: Pipeline, root: Path, work: Path, resume: bool, overwrite: bool) -> None:
    info = work / "pipeline.json"
    fp = p.fingerprint()
    if info.exists():
        old = json.loads(info.read_text()).get("fingerprint")
        if overwrite or not resume:
            shutil.rmtree(work)
            for f in root.glob("part-*"):
                f.unlink()
            (root / STATS_FILE).unlink(missing_ok=True)
        elif old != fp:
            raise DataPipelineError(
                "the output directory holds a run of a different pipeline",
                where=str(root),
                fix="use a new output directory, or pass overwrite=True (CLI: --overwrite) to replace it",
            )
    (work / "markers").mkdir(parents=True, exist_ok=True)
    info.write_text(json.dumps({"fingerprint": fp, "pipeline": repr(p)[:2000]}))


def run_pipeline(p: Pipeline, executor: Executor | None, *, resume: bool = True, overwrite: bool = False) -> RunStats:
    """Run `p` stage by stage on `executor` (default: a local process pool); see the module docstring."""
    from assay.data.executor_local import LocalExecutor

    t0 = time.perf_counter()
    if p.output is None and p.work_dir is None:
        raise DataPipelineError("a pipeline without output needs a work_dir", fix="set Pipeline(work_dir=...)")
    root = Path(p.output if p.output is not None else p.work_dir)  # type: ignore[arg-type]
    root.mkdir(parents=True, exist_ok=True)
    work = root / META
    _check_dir(p, root, work, resume, overwrite)
    done = work / "complete"
    if done.exists() and (root / STATS_FILE).exists():
        stats = RunStats.from_dict(json.loads((root / STATS_FILE).read_text()))
        stats.shards_skipped = stats.shards
        return stats
    executor = executor or LocalExecutor()
    shards = p.reader.shards()
    stages = plan(p.steps)
    step_stats = [StepStats(s.name) for s in p.steps]
    reader = StepStats("read")
    skipped = 0
    outputs: list[str] = []
    for stage in stages:
        tasks = [ShardTask(p, stage, sh, str(root), str(work)) for sh in shards]
        results = executor.map(run_shard, tasks)
        for r in results:
            if stage.index == 0:
                reader.merge(StepStats.from_dict(r["reader"]))
            for op, st in zip(stage.ops, r["ops"], strict=True):
                if op.count:
                    step_stats[op.step].merge(StepStats.from_dict(st))
            skipped += bool(r["skipped"])
            if r["output"]:
                outputs.append(str(Path(r["output"]).relative_to(root)))
        if stage.collect is not None:
            step_stats[stage.collect].merge(_reduce(p, stage.collect, len(shards), work))
    for step, st in zip(p.steps, step_stats, strict=True):
        if hasattr(step, "finalize"):
            step.finalize(st, root)
        st.extra = []
    stats = RunStats(reader, step_stats, len(shards), skipped, time.perf_counter() - t0, sorted(outputs))
    tmp = root / (STATS_FILE + ".tmp")
    tmp.write_text(json.dumps(stats.to_dict(), indent=2))
    os.replace(tmp, root / STATS_FILE)
    for sub in work.iterdir():
        if sub.is_dir() and sub.name != "markers":
            shutil.rmtree(sub)
    done.write_text("ok")
    return stats


def _reduce(p: Pipeline, step_index: int, n_shards: int, work: Path) -> StepStats:
    """The reduce phase of a global step, run once in the driver; resumable through its own marker."""
    marker = work / "markers" / f"reduce{step_index}.json"
    if marker.exists():
        return StepStats.from_dict(json.loads(marker.read_text()))
    gdir = work / f"global{step_index}"
    stats = StepStats(p.steps[step_index].name)
    parts = [gdir / f"collect-{i:05d}" for i in range(n_shards)]
    drops = p.steps[step_index].reduce(parts, stats)
    for i, drop in enumerate(drops):
        np.save(gdir / f"drop-{i:05d}.npy", np.asarray(drop, dtype=np.int64))
    marker.write_text(json.dumps(stats.to_dict(with_extra=True)))
    return stats
