"""The runner: turns a task's samples into model requests, scores the responses and
logs one record per (sample, epoch, variant) as soon as it is finished.

One event loop, no per-sample threads. Cached responses are looked up in one batch
before any request is sent; the rest stream from the provider, are scored, and are
written to `samples.jsonl` (and the cache) in batches every `flush_interval` seconds.
An interrupt or a provider failure flushes what finished and leaves the run
resumable: `resume` skips every (sample, epoch, variant) already in the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.core.cache import RequestCache, request_key
from assay.core.rundir import RecordKey, SampleLog, cut_torn_tail, iter_records, record_key
from assay.core.sample import Sample
from assay.core.task import Task
from assay.errors import TaskError
from assay.models.base import Model, Request, Response
from assay.scorers.base import Score

# A variant rewrites a sample (a perturbation, a counterfactual swap); the rng is seeded per
# (run seed, sample id, variant), so the same run spec always produces the same variants.
Transform = Callable[[Sample, random.Random], Sample]


@dataclass
class RunOptions:
    limit: int | None = None
    sample_ids: Sequence[str] | None = None
    exclude_ids: set[str] = field(default_factory=set)
    epochs: int | None = None
    seed: int = 0
    cache: bool = True
    cache_path: Path | None = None
    flush_interval: float = 0.25
    max_pending_scores: int = 64
    variants: dict[str, Transform] = field(default_factory=dict)  # name -> transform; "" is always the clean sample
    solver_concurrency: int = 32


@dataclass
class Progress:
    """Counters the runner updates; a display polls them."""

    total: int = 0
    done: int = 0
    resumed: int = 0
    cached: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class WorkItem:
    sample: Sample
    epoch: int
    variant: str
    request: Request
    key: str = ""


def select_samples(task: Task, options: RunOptions) -> list[Sample]:
    """Apply --sample-id, --exclude-samples and --limit, in that order."""
    samples = task.samples()
    if options.sample_ids:
        wanted = {str(s) for s in options.sample_ids}
        known = {s.id for s in samples}
        missing = sorted(wanted - known)
        if missing:
            raise TaskError(
                f"sample id(s) not in task {task.name!r}: {', '.join(missing[:5])}",
                fix="check --sample-id against the ids in samples.jsonl or the dataset",
            )
        samples = [s for s in samples if s.id in wanted]
    if options.exclude_ids:
        samples = [s for s in samples if s.id not in options.exclude_ids]
    if options.limit is not None:
        samples = samples[: options.limit]
    if not samples:
        raise TaskError(
            f"no samples left to run in task {task.name!r}", fix="check --limit, --sample-id and exclusions"
        )
    return samples


def build_request(task: Task, template: Any, sample: Sample, seed: int) -> Request:
    if task.scorer.request_kind == "loglikelihood":
        context, continuations = template.render_loglikelihood(sample)
        return Request("loglikelihood", context, continuations=list(continuations))
    config = task.config
    if config.temperature > 0 and config.seed is None:
        from dataclasses import replace

        config = replace(config, seed=seed)
    return Request("generate", template.render(sample), config=config)


def make_record(item: WorkItem, response: Response, score: Score) -> dict[str, Any]:
    sample, request = item.sample, item.request
    record: dict[str, Any] = {
        "sample_id": sample.id,
        "epoch": item.epoch,
        "variant": item.variant,
        "prompt": request.input,
    }
    if request.continuations is not None:
        record["continuations"] = request.continuations
    record["target"] = sample.target
    if sample.choices is not None:
        record["choices"] = sample.choices
    if sample.cluster is not None:
        record["cluster"] = sample.cluster
    record["response"] = response.to_dict()
    record["scores"] = score.value
    record["answer"] = score.answer
    if score.explanation is not None:
        record["explanation"] = score.explanation
    if score.metadata:
        record["score_metadata"] = score.metadata
    if sample.metadata:
        record["metadata"] = sample.metadata
    record["cached"] = response.cached
    return record


def done_keys(run_dir: Path) -> set[RecordKey]:
    return {record_key(r) for r in iter_records(run_dir)}


def variant_rng(seed: int, sample_id: str, variant: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{sample_id}|{variant}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


async def _run_solver(
    task: Task, model: Model, items: list[WorkItem], concurrency: int, handle: Callable[[WorkItem, Response], Any]
) -> None:
    """Multi-turn tasks: the task's solver talks to the model per sample, at most `concurrency` at a time."""
    assert task.solver is not None
    solver = task.solver
    limiter = asyncio.Semaphore(concurrency)

    async def one(item: WorkItem) -> None:
        async with limiter:
            response = await solver(item.sample, item.request, model)
        await handle(item, response)

    await asyncio.gather(*(one(item) for item in items))


async def run_samples(
    task: Task,
    model: Model,
    run_dir: Path,
    options: RunOptions,
    progress: Progress | None = None,
    on_flush: Callable[[], None] | None = None,
) -> int:
    """Run every not-yet-logged (sample, epoch) of `task` on `model`; returns records written."""
    from assay.core.template import Template

    template = Template.coerce(task.template)
    progress = progress or Progress()
    cut_torn_tail(run_dir)
    finished = done_keys(run_dir)
    epochs = options.epochs or task.epochs
    samples = select_samples(task, options)
    variants = {"": None, **options.variants}
    items = [
        WorkItem(v, e, name, build_request(task, template, v, options.seed + e))
        for e in range(1, epochs + 1)
        for name, transform in variants.items()
        for s in samples
        if (s.id, e, name) not in finished
        for v in [transform(s, variant_rng(options.seed, s.id, name)) if transform else s]
    ]
    progress.total = len(samples) * epochs * len(variants)
    progress.done = progress.resumed = progress.total - len(items)

    log = SampleLog(run_dir)
    cache = RequestCache(options.cache_path) if options.cache else None
    scorer = task.scorer
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if cache is not None:
            cache.flush()  # cache first: a logged sample's answer must never be requested again
        log.flush()
        last_flush = time.monotonic()
        if on_flush is not None:
            on_flush()

    def record(item: WorkItem, response: Response, score: Score) -> None:
        log.append(make_record(item, response, score))
        if cache is not None and not response.cached:
            cache.put(item.key, response)
        progress.done += 1
        progress.errors += response.error is not None
        if time.monotonic() - last_flush >= options.flush_interval:
            flush()

    scoring: set[asyncio.Task[None]] = set()
    limiter = asyncio.Semaphore(options.max_pending_scores)

    async def score_async(item: WorkItem, response: Response) -> None:
        async with limiter:
            record(item, response, await scorer.ascore(item.sample, response))

    async def handle(item: WorkItem, response: Response) -> None:
        response.continuations = item.request.continuations
        if scorer.is_async:
            t = asyncio.create_task(score_async(item, response))
            scoring.add(t)
            t.add_done_callback(scoring.discard)
        else:
            record(item, response, scorer.score(item.sample, response))

    try:
        if cache is not None:
            identity = model.cache_identity()
            for item in items:
                item.key = request_key(identity, item.request, item.epoch)
            hits = cache.get_many(item.key for item in items)
            progress.cached = len(hits)
            for item in items:
                if item.key in hits:
                    await handle(item, hits[item.key])
            items = [item for item in items if item.key not in hits]
        if items and task.solver is not None:
            await _run_solver(task, model, items, options.solver_concurrency, handle)
        elif items:
            requests = [item.request for item in items]
            stream = (
                model.loglikelihood(requests) if scorer.request_kind == "loglikelihood" else model.generate(requests)
            )
            async for index, response in stream:
                await handle(items[index], response)
        if scoring:
            await asyncio.gather(*scoring)
    finally:
        for t in scoring:
            t.cancel()
        flush()
        log.close()
        if cache is not None:
            cache.close()
    return log.written
