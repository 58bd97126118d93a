"""Adjusted p-values for many comparisons: Bonferroni and Holm (family-wise error), BH and BY (false discovery)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assay.stats._validate import check_choice

ADJUST_METHODS = ("holm", "bonferroni", "bh", "by")


def adjust_pvalues(pvalues: ArrayLike, method: str = "holm") -> NDArray[np.float64]:
    """Adjust `pvalues` for multiple testing; returns an array in the input order, capped at 1.

    - ``bonferroni``: p * m.
    - ``holm``: step-down Bonferroni (Holm 1979); controls the family-wise error, never worse than Bonferroni.
    - ``bh``: Benjamini-Hochberg step-up; controls the false discovery rate under independence/PRDS.
    - ``by``: Benjamini-Yekutieli; FDR under any dependence (BH times sum_{i<=m} 1/i).

    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    check_choice(method, "method", ADJUST_METHODS)
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be one-dimensional, got shape {p.shape}")
    if p.size == 0:
        return p.copy()
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("pvalues must all be finite numbers in [0, 1]; drop missing tests before adjusting")
    m = p.size
    if method == "bonferroni":
        return np.asarray(np.minimum(p * m, 1.0), dtype=float)
    out = np.empty(m)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out[order] = np.minimum(stepped, 1.0)
        return out
    order = np.argsort(p, kind="stable")[::-1]  # largest first, for the step-up minimum
    scale = float(np.sum(1.0 / np.arange(1, m + 1))) if method == "by" else 1.0
    ranks = np.arange(m, 0, -1)
    stepped = np.minimum.accumulate(p[order] * m * scale / ranks)
    out[order] = np.minimum(stepped, 1.0)
    return out
