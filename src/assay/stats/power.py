"""Sample size and minimum detectable effect for comparing two models (Miller 2024, "Adding Error Bars to Evals").

Conventions (normal approximation, two-sided test at level `alpha`):

    n = (z_{1-alpha/2} + z_{power})^2 * Var(d) * design_effect / delta^2

where Var(d) is the per-question variance of the score difference d = s_A - s_B under the alternative (the
variance the paired t test and Welch's test estimate from the data; no pooling under the null). Give it in
one of three ways:

- ``sd_diff``: Var(d) = sd_diff^2, whatever the design (``paired_rho`` does not apply).
- ``sd``: the per-model score SD, the same for both models. With ``paired_rho=None`` (independent question
  sets, or pairing ignored) Var(d) = 2 sd^2 and n is the number of questions *per model*; with
  ``paired_rho=rho`` (same questions, score correlation rho) Var(d) = 2 sd^2 (1 - rho).
- ``p``: 0/1 scores with baseline accuracy p1 = p; the other model's accuracy is p2 = p + delta (strictly
  between 0 and 1; a negative delta plans for a worse model). The two variances differ, so
  Var(d) = p1 q1 + p2 q2 unpaired (n per model) and p1 q1 + p2 q2 - 2 rho sqrt(p1 q1 p2 q2) paired, with
  q = 1 - p and rho the correlation of the two models' 0/1 scores on a question. For 0/1 scores rho is
  bounded by the two accuracies (the cell P(both right) must lie in [max(0, p1 + p2 - 1), min(p1, p2)]); an
  impossible rho is an error. The unpaired n is the unpooled (Wald) one; the textbook formula with the
  pooled variance under the null, (z_a sqrt(2 pbar qbar) + z_b sqrt(p1 q1 + p2 q2))^2 / delta^2 (statsmodels'
  `samplesize_proportions_2indep_onetail`), differs by a few questions: 686 instead of 683 for 0.10 -> 0.15.

With ``p``, Var(d) depends on delta, so `minimum_detectable_effect` solves
delta = (z_{1-alpha/2} + z_{power}) sqrt(Var(d(delta)) design_effect / n) for the smallest improvement
0 < delta < 1 - p, and raises when not even a model that is right on (almost) every question is detected
with the planned power.

`design_effect` (>= 1 for clustered questions, e.g. 1 + (m - 1) ICC) inflates the variance: n counts
questions, not clusters. Miller's worked example, detecting delta = 0.03 when Var(d) = 1/9 at alpha 0.05 and
80% power, needs (1.95996 + 0.84162)^2 / 9 / 0.03^2 = 968.997..., rounded up to 969 questions: that is
``sample_size(0.03, sd_diff=1/3)``, the same as ``sample_size(0.03, sd=1/3, paired_rho=0.5)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assay.stats._dist import norm_ppf


def _prob(x: float, name: str) -> float:
    if not (isinstance(x, (int, float)) and 0.0 < float(x) < 1.0):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {x!r}")
    return float(x)


def _rho_range(p1: float, p2: float) -> tuple[float, float]:
    """The correlations two 0/1 scores with accuracies p1 and p2 can have (Frechet bounds on P(both right))."""
    sd_prod = math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
    return (max(0.0, p1 + p2 - 1) - p1 * p2) / sd_prod, (min(p1, p2) - p1 * p2) / sd_prod


@dataclass(frozen=True, slots=True)
class _VarDiff:
    """Var(d) * design_effect: `fixed` for sd= and sd_diff=, else a function of delta for 0/1 scores (p=)."""

    fixed: float | None
    p: float = 0.5
    rho: float | None = None
    design_effect: float = 1.0

    def at(self, delta: float) -> float:
        """Var(d) * design_effect when the true difference is delta (p2 = p + delta in [0, 1], unchecked)."""
        if self.fixed is not None:
            return self.fixed
        v1 = self.p * (1 - self.p)
        p2 = self.p + delta
        v2 = max(0.0, p2 * (1 - p2))  # 0 at the limit p2 = 1 (minimum_detectable_effect's bracket end)
        var = v1 + v2 if self.rho is None else v1 + v2 - 2 * self.rho * math.sqrt(v1 * v2)
        return max(var, 0.0) * self.design_effect

    def check(self, delta: float, where: str, note: str = "", fix: str = "") -> None:
        """Raise unless delta gives a second accuracy in (0, 1) that paired_rho is possible for."""
        if self.fixed is not None:
            return
        p2 = self.p + delta
        if not 0.0 < p2 < 1.0:
            raise ValueError(
                f"{where}: with p= (0/1 scores) the other model's accuracy is p + delta = {self.p:g} + {delta:g} "
                f"= {p2:g}, which must be strictly between 0 and 1; choose a delta with 0 < p + delta < 1 "
                "(negative to plan for a worse model), or give sd= or sd_diff= for scores that are not 0/1"
            )
        if self.rho is not None:
            lo, hi = _rho_range(self.p, p2)
            if not lo - 1e-12 <= self.rho <= hi + 1e-12:
                raise ValueError(
                    f"{where}: paired_rho={self.rho:g} is impossible for 0/1 scores with accuracies {self.p:g} and "
                    f"{p2:g} (p and p + delta{note}): their correlation lies in [{lo:.4f}, {hi:.4f}]; give a "
                    f"paired_rho in that range{fix}, or sd_diff= (the SD of the per-question difference, e.g. from a "
                    "pilot run)"
                )


def _var_diff(
    sd: float | None, p: float | None, sd_diff: float | None, paired_rho: float | None, design_effect: float
) -> _VarDiff:
    given = [name for name, v in (("sd", sd), ("p", p), ("sd_diff", sd_diff)) if v is not None]
    if len(given) != 1:
        raise ValueError(
            "give exactly one of sd= (per-model score SD), p= (baseline accuracy of 0/1 scores) "
            f"or sd_diff= (SD of the per-question difference); got {given or 'none'}"
        )
    if not (isinstance(design_effect, (int, float)) and design_effect > 0 and math.isfinite(design_effect)):
        raise ValueError(
            f"design_effect must be a positive number (1 when questions are independent), got {design_effect!r}"
        )
    de = float(design_effect)
    if sd_diff is not None:
        if paired_rho is not None:
            raise ValueError("paired_rho applies to sd= or p=; sd_diff already is the SD of the difference")
        if not sd_diff > 0:
            raise ValueError(f"sd_diff must be positive, got {sd_diff!r}")
        return _VarDiff(float(sd_diff) ** 2 * de)
    if p is not None:
        p1 = _prob(p, "p")
    else:
        assert sd is not None
        if not (sd > 0 and math.isfinite(sd)):
            raise ValueError(f"sd must be a positive finite number, got {sd!r}")
    if paired_rho is not None and not -1.0 <= paired_rho < 1.0:
        raise ValueError(f"paired_rho must be in [-1, 1) (rho = 1 leaves no variance to power), got {paired_rho!r}")
    rho = None if paired_rho is None else float(paired_rho)
    if p is not None:
        return _VarDiff(None, p1, rho, de)
    assert sd is not None
    var = float(sd) ** 2
    return _VarDiff(2 * var * de if rho is None else 2 * var * (1 - rho) * de)


def _z_sum(alpha: float, power: float) -> float:
    return float(norm_ppf(1 - _prob(alpha, "alpha") / 2) + norm_ppf(_prob(power, "power")))


def sample_size(
    delta: float,
    *,
    sd: float | None = None,
    p: float | None = None,
    sd_diff: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    paired_rho: float | None = None,
    design_effect: float = 1.0,
) -> int:
    """Questions needed to detect a true difference `delta` between two models (rounded up).

    With `p` (0/1 scores) the models' accuracies are p and p + delta, each with its own variance.

    >>> sample_size(0.03, sd_diff=1 / 3)  # Miller (2024)'s worked example
    969
    >>> sample_size(0.05, p=0.7), sample_size(0.05, p=0.7, paired_rho=0.5)  # accuracy 0.70 -> 0.75
    (1248, 625)
    """
    if not (isinstance(delta, (int, float)) and delta != 0 and math.isfinite(delta)):
        raise ValueError(f"delta must be a non-zero finite difference to detect (e.g. 0.03), got {delta!r}")
    var = _var_diff(sd, p, sd_diff, paired_rho, design_effect)
    var.check(float(delta), "sample_size")
    n = _z_sum(alpha, power) ** 2 * var.at(float(delta)) / float(delta) ** 2
    # round away float noise (968.9999999 must not become 970 after a 1e-12 wobble), then up
    return max(1, math.ceil(round(n, 9)))


def _smallest_root(z: float, var: _VarDiff, n: float, top: float) -> float | None:
    """Smallest delta in (0, top) with delta >= z sqrt(var.at(delta) / n), or None when there is none."""

    def gap(delta: float) -> float:
        return delta - z * math.sqrt(var.at(delta) / n)

    lo, hi = 0.0, None
    steps = 1000  # grid first: with a paired rho the gap need not be monotone, and we want its first root
    for i in range(1, steps + 1):
        x = top * i / steps
        if gap(x) >= 0:
            hi = x
            break
        lo = x
    if hi is None:
        return None
    for _ in range(200):
        mid = (lo + hi) / 2
        if not lo < mid < hi:
            break
        if gap(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return hi if hi < top else None


def minimum_detectable_effect(
    n: int,
    *,
    sd: float | None = None,
    p: float | None = None,
    sd_diff: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    paired_rho: float | None = None,
    design_effect: float = 1.0,
) -> float:
    """Smallest true difference detected with probability `power` given `n` questions (inverse of sample_size).

    With `p` (0/1 scores) it is the smallest improvement over accuracy p (to p + delta < 1) that `n` questions
    detect; a ValueError says when no improvement is detectable.

    >>> round(minimum_detectable_effect(969, sd_diff=1 / 3), 4)
    0.03
    >>> round(minimum_detectable_effect(500, p=0.7, paired_rho=0.5), 4)  # accuracy 0.70 -> 0.7557
    0.0557
    """
    if not (isinstance(n, (int, float)) and n >= 1 and math.isfinite(n)):
        raise ValueError(f"n must be a number of questions >= 1, got {n!r}")
    var = _var_diff(sd, p, sd_diff, paired_rho, design_effect)
    z = _z_sum(alpha, power)
    if var.fixed is not None:
        return z * math.sqrt(var.fixed / n)
    delta = _smallest_root(z, var, float(n), 1.0 - var.p)
    if delta is None:
        # as p + delta -> 1, Var(d) -> p q design_effect: the n at which an improvement to ~1 becomes detectable
        n_min = math.ceil(round(z**2 * var.at(1.0 - var.p) / (1.0 - var.p) ** 2, 9))
        raise ValueError(
            f"minimum_detectable_effect: n={n!r} questions cannot detect any improvement over accuracy p={var.p:g} "
            f"with power {power:g} at alpha {alpha:g}: even a model right on almost every question would be "
            f"missed too often; use more questions (improvements near 1 - p = {1 - var.p:g} need about {n_min}), "
            "or plan for a lower power"
        )
    var.check(
        delta,
        "minimum_detectable_effect",
        note=f", the difference {n!r} questions would detect",
        fix=" or more questions (a smaller difference allows a larger correlation)",
    )
    return delta
