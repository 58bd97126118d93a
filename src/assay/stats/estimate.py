"""`Estimate`, the one form in which a metric leaves `assay.stats`, and the mean with its SE."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its standard error and confidence interval."""

    value: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_clusters: int | None = None
    method: str = "t"
    level: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Estimate:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def __str__(self) -> str:
        return f"{self.value:.4f} [{self.ci_low:.4f}, {self.ci_high:.4f}] (n={self.n}, {self.method})"


def mean_estimate(scores: ArrayLike, *, level: float = 0.95) -> Estimate:
    """Mean with the t interval on n-1 degrees of freedom (placeholder until the full module lands)."""
    x = np.asarray(scores, dtype=float)
    n = x.size
    if n == 0:
        raise ValueError("mean_estimate needs at least one score")
    value = float(x.mean())
    if n == 1:
        return Estimate(value, float("nan"), float("nan"), float("nan"), 1, method="t")
    se = float(x.std(ddof=1) / np.sqrt(n))
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * se
    return Estimate(value, se, value - half, value + half, n, method="t", level=level)
