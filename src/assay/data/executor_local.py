"""`LocalExecutor`: shard tasks on a local process pool; the default, embedded, no services.

Processes are forked where the platform allows it, so the pool starts in milliseconds and workers inherit
the imported modules; one worker (or one task) runs inline with no pool at all.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class LocalExecutor:
    """Map shard tasks over `workers` local processes (default: all cores).

    >>> LocalExecutor(workers=1).map(abs, [-1, 2])
    [1, 2]
    """

    workers: int | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(x) for x in items]` on a process pool, results in input order."""
        n = min(self.workers or os.cpu_count() or 1, len(items))
        if n <= 1:
            return [fn(x) for x in items]
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            # chunksize 1: shards are big units of work, and balance matters more than dispatch cost
            return list(pool.map(fn, items, chunksize=1))
