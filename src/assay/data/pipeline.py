"""The pipeline model: a reader, an ordered list of steps, an output; the `Step` protocols and `Executor`.

A `Step` maps a stream of documents to a stream of documents, recording drop reasons and counters in its
`StepStats`. A `GlobalStep` (exact and near dedup) needs to see the whole corpus before it can decide
anything, so it runs in three phases: `collect` per shard (hashes, signatures), `reduce` once over all
shards (banding, union-find), and `apply` per shard (drop the documents `reduce` chose). The runner turns
the step list into stages around each global step, and an `Executor` maps shard tasks over workers:
local processes or a Ray cluster, for the same pipeline unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from assay.data.document import Document
from assay.data.readers import Reader
from assay.data.stats import StepStats
from assay.data.writers import JsonlWriter, Writer

if TYPE_CHECKING:
    from assay.data.stats import RunStats

T = TypeVar("T")
R = TypeVar("R")
Arrays = dict[str, npt.NDArray[Any]]

# Bump when the files under `_assay/` (markers, sorted runs, drop lists) change shape, so an output directory
# written by an older assay is refused with a clear error instead of failing half-way through a resume.
WORK_FORMAT = 2


@runtime_checkable
class Step(Protocol):
    """A streaming step: documents in, documents out (fewer, or changed)."""

    name: str

    def process(self, docs: Iterator[Document], stats: StepStats) -> Iterator[Document]:
        """Yield the documents that survive, recording why the others were dropped."""
        ...


@runtime_checkable
class GlobalStep(Protocol):
    """A step that must see every shard before deciding (dedup): collect, reduce, apply."""

    name: str

    def collect(self, docs: Iterator[Document], stats: StepStats) -> Arrays:
        """Per shard: arrays describing the shard's documents, in stream order (hashes, signatures)."""
        ...

    def reduce(self, parts: list[Path], stats: StepStats) -> list[npt.NDArray[np.int64]]:
        """Once: from each shard's collected arrays (a directory of `.npy` files, memory-mappable), the
        positions to drop in each shard. Counters (duplicates, clusters) go into `stats`."""
        ...

    def apply(self, docs: Iterator[Document], drop: npt.NDArray[np.int64], stats: StepStats) -> Iterator[Document]:
        """Per shard: drop the documents at positions `drop` of the stream `collect` saw."""
        ...


class MapStep:
    """Base for one-document-at-a-time steps: override `apply_one`; return None to drop (after `stats.drop`)."""

    name: str = "map"

    def apply_one(self, doc: Document, stats: StepStats) -> Document | None:
        """Transform or drop one document."""
        raise NotImplementedError

    def process(self, docs: Iterator[Document], stats: StepStats) -> Iterator[Document]:
        """Apply `apply_one` to every document."""
        for doc in docs:
            out = self.apply_one(doc, stats)
            if out is not None:
                yield out


def drop_positions(
    docs: Iterator[Document], drop: npt.NDArray[np.int64], stats: StepStats, reason: str
) -> Iterator[Document]:
    """The default `GlobalStep.apply`: skip the documents at the given stream positions."""
    todo = set(drop.tolist())
    for i, doc in enumerate(docs):
        if i in todo:
            stats.drop(reason)
            continue
        yield doc


class Executor(Protocol):
    """Runs a function over items on some workers and returns the results in order."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(x) for x in items]`, in parallel."""
        ...


@dataclass
class Pipeline:
    """A reader, steps in order and an output directory (None: run for statistics and reports only).

    >>> from assay.data import FileReader, NearDedup, Pipeline  # doctest: +SKIP
    >>> Pipeline(FileReader("corpus/"), [NearDedup()], "out/").run()  # doctest: +SKIP
    """

    reader: Reader
    steps: list[Any]
    output: str | Path | None
    writer: Writer = field(default_factory=JsonlWriter)
    work_dir: str | Path | None = None

    def run(self, executor: Executor | None = None, *, resume: bool = True, overwrite: bool = False) -> RunStats:
        """Run the pipeline; with `resume`, shards finished by an earlier (crashed) run are skipped."""
        from assay.data.runner import run_pipeline

        return run_pipeline(self, executor, resume=resume, overwrite=overwrite)

    def fingerprint(self) -> str:
        """A hash of the configuration and of the on-disk work format: a resumed run must be the same pipeline,
        written by a version of assay that reads the same intermediate files."""
        blob = repr((WORK_FORMAT, self.reader, self.steps, self.writer))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def is_global(step: Any) -> bool:
    """Whether a step is a multi-phase `GlobalStep`."""
    return hasattr(step, "collect") and hasattr(step, "reduce")
