"""Input checks shared by the statistics modules: arrays in, clear ValueErrors out."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def as_scores(scores: ArrayLike, name: str = "scores", *, min_n: int = 1) -> FloatArray:
    """Return `scores` as a finite 1-D float array, or raise a ValueError that says what to fix."""
    try:
        x = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers (got {type(scores).__name__}): {exc}") from exc
    if x.ndim == 0:
        x = x.reshape(1)
    if x.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {x.shape}; flatten it or pass one column")
    if x.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} value(s), got {x.size}")
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} contains {int(bad.sum())} non-finite value(s) (first at index {i}: {x[i]}); "
            "drop or impute missing scores before estimating"
        )
    return x


def as_clusters(clusters: ArrayLike, n: int, name: str = "clusters") -> tuple[IntArray, int]:
    """Factorise cluster labels into codes 0..G-1; return (codes, G). Labels may be any sortable values."""
    c = np.asarray(clusters)
    if c.ndim != 1 or c.size != n:
        raise ValueError(f"{name} must be one label per score: got shape {c.shape} for {n} scores")
    if c.dtype == object and any(v is None for v in c.tolist()):
        raise ValueError(f"{name} contains None; give every score a cluster label (e.g. its own id)")
    if c.dtype.kind == "f" and np.isnan(c).any():
        raise ValueError(f"{name} contains NaN; give every score a cluster label (e.g. its own id)")
    try:
        _, codes = np.unique(c, return_inverse=True)
    except TypeError as exc:
        raise ValueError(f"{name} labels must be mutually sortable (all str or all int): {exc}") from exc
    codes = codes.reshape(-1).astype(np.intp)
    return codes, int(codes.max()) + 1 if n else 0


def check_level(level: float) -> float:
    """A confidence level strictly between 0 and 1."""
    if not (isinstance(level, (int, float)) and 0.0 < float(level) < 1.0):
        raise ValueError(f"level must be a probability strictly between 0 and 1 (e.g. 0.95), got {level!r}")
    return float(level)


def is_binary(x: FloatArray) -> bool:
    """True when every score is 0 or 1."""
    return bool(np.all((x == 0.0) | (x == 1.0)))


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return str(value)
