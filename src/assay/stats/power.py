"""Sample size and minimum detectable effect for comparing two models (Miller 2024, "Adding Error Bars to Evals").

Conventions (normal approximation, two-sided test at level `alpha`):

    n = (z_{1-alpha/2} + z_{power})^2 * Var(d) * design_effect / delta^2

where Var(d) is the per-question variance of the score difference d = s_A - s_B. Give it directly with
`sd_diff` (Var(d) = sd_diff^2), or give the per-model score SD `sd` (or a baseline accuracy `p`, with
sd = sqrt(p(1-p))) and the two models are taken to have equal variance:

- ``paired_rho=None``: both models on independent question sets (or pairing ignored): Var(d) = 2 sd^2,
  and n is the number of questions *per model*.
- ``paired_rho=rho``: both models on the same questions with score correlation rho:
  Var(d) = sd_A^2 + sd_B^2 - 2 Cov = 2 sd^2 (1 - rho).

`design_effect` (>= 1 for clustered questions, e.g. 1 + (m - 1) ICC) inflates the variance: n counts
questions, not clusters. Miller's worked example, detecting delta = 0.03 when Var(d) = 1/9 at alpha 0.05 and
80% power, needs (1.95996 + 0.84162)^2 / 9 / 0.03^2 = 968.997..., rounded up to 969 questions: that is
``sample_size(0.03, sd_diff=1/3)``, the same as ``sample_size(0.03, sd=1/3, paired_rho=0.5)``.
"""

from __future__ import annotations

import math

from assay.stats._dist import norm_ppf


def _prob(x: float, name: str) -> float:
    if not (isinstance(x, (int, float)) and 0.0 < float(x) < 1.0):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {x!r}")
    return float(x)


def _var_diff(
    sd: float | None, p: float | None, sd_diff: float | None, paired_rho: float | None, design_effect: float
) -> float:
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
    if sd_diff is not None:
        if paired_rho is not None:
            raise ValueError("paired_rho applies to sd= or p=; sd_diff already is the SD of the difference")
        if not sd_diff > 0:
            raise ValueError(f"sd_diff must be positive, got {sd_diff!r}")
        return float(sd_diff) ** 2 * design_effect
    if p is not None:
        var = _prob(p, "p") * (1 - float(p))
    else:
        assert sd is not None
        if not (sd > 0 and math.isfinite(sd)):
            raise ValueError(f"sd must be a positive finite number, got {sd!r}")
        var = float(sd) ** 2
    if paired_rho is None:
        return 2 * var * design_effect
    if not -1.0 <= paired_rho < 1.0:
        raise ValueError(f"paired_rho must be in [-1, 1) (rho = 1 leaves no variance to power), got {paired_rho!r}")
    return 2 * var * (1 - float(paired_rho)) * design_effect


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

    >>> sample_size(0.03, sd_diff=1 / 3)  # Miller (2024)'s worked example
    969
    >>> sample_size(0.05, p=0.7), sample_size(0.05, p=0.7, paired_rho=0.5)
    (1319, 660)
    """
    if not (isinstance(delta, (int, float)) and delta != 0 and math.isfinite(delta)):
        raise ValueError(f"delta must be a non-zero finite difference to detect (e.g. 0.03), got {delta!r}")
    var = _var_diff(sd, p, sd_diff, paired_rho, design_effect)
    n = _z_sum(alpha, power) ** 2 * var / float(delta) ** 2
    # round away float noise (968.9999999 must not become 970 after a 1e-12 wobble), then up
    return max(1, math.ceil(round(n, 9)))


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

    >>> round(minimum_detectable_effect(969, sd_diff=1 / 3), 4)
    0.03
    """
    if not (isinstance(n, (int, float)) and n >= 1 and math.isfinite(n)):
        raise ValueError(f"n must be a number of questions >= 1, got {n!r}")
    var = _var_diff(sd, p, sd_diff, paired_rho, design_effect)
    return _z_sum(alpha, power) * math.sqrt(var / n)
