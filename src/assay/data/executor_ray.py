"""`RayExecutor`: the same shard tasks as the local executor, as Ray tasks on an existing cluster.

Install with `pip install 'assay[ray]'`. Inputs, outputs and the work directory must be on storage every
node can reach (a shared file system), exactly as for the local executor's processes on one machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from assay.data.errors import DataPipelineError
from assay.errors import AssayError

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class RayExecutor:
    """Run shard tasks on Ray: `address="auto"` joins a running cluster; None starts a local one.

    `init_kwargs` go to `ray.init` (e.g. `num_cpus`, `runtime_env`). One CPU per task by default.
    """

    address: str | None = "auto"
    num_cpus_per_task: float = 1.0
    init_kwargs: dict[str, Any] = field(default_factory=dict)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(x) for x in items]` as Ray tasks, results in input order."""
        ray = _import_ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, include_dashboard=False, **self.init_kwargs)
            except ConnectionError as e:
                raise DataPipelineError(
                    f"could not connect to a Ray cluster at {self.address!r}: {e}",
                    where="executor.address",
                    fix="start one with `ray start --head`, or set address: null to start a local Ray",
                ) from e
        remote = ray.remote(num_cpus=self.num_cpus_per_task)(fn)
        refs = [remote.remote(x) for x in items]
        try:
            return list(ray.get(refs))
        except ray.exceptions.RayTaskError as e:
            # surface the user's error (bad input file, ...) as itself, not wrapped in Ray's traceback
            if isinstance(e.cause, AssayError):
                raise e.cause from None
            raise


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise DataPipelineError(
            "the Ray executor needs the `ray` package",
            where="executor.kind: ray",
            fix="pip install 'assay[ray]', or use the local executor",
        ) from e
    return ray
