"""Power planning from existing runs: the variance, pairing correlation and clustering to plan with.

One run gives the per-sample score SD (and the design effect when it has clusters); two runs
of the same task also give the SD of the paired difference, which is what a paired
comparison's power depends on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assay.core.compare import check_comparable
from assay.core.results import per_sample_scores
from assay.core.run import Run
from assay.errors import RunDirError


@dataclass
class PlanInputs:
    metric: str
    n: int
    sd: float
    sd_diff: float | None
    correlation: float | None
    design_effect: float
    n_clusters: int | None


def inputs_from_runs(runs: list[Run], metric: str | None = None) -> PlanInputs:
    if len(runs) > 2:
        raise RunDirError(
            "plan reads one run (variance) or two runs (paired variance)", fix="pass --from-run once or twice"
        )
    if len(runs) == 2:
        check_comparable(runs)
    metric = metric or runs[0].spec["task"]["metrics"][0]
    per_run = []
    for run in runs:
        ids, values, clusters = per_sample_scores(run.records(), metric)
        if len(ids) < 2:
            raise RunDirError(f"{run.path} has fewer than 2 scored samples on {metric!r}", fix="plan from a larger run")
        per_run.append({i: (float(np.mean(v)), c) for i, v, c in zip(ids, values, clusters, strict=True)})
    common = sorted(set.intersection(*(set(d) for d in per_run)))
    a = np.array([per_run[0][i][0] for i in common])
    clusters = [per_run[0][i][1] for i in common]
    sd = float(np.std(a, ddof=1))
    if sd == 0:
        raise RunDirError(f"every sample has the same {metric!r} score in {runs[0].path}", fix="plan with --baseline")
    deff, n_clusters = 1.0, None
    if all(c is not None for c in clusters) and 1 < len(set(clusters)) < len(clusters):
        from assay.stats.clustered import design_effect

        deff = max(1.0, design_effect(a, np.array(clusters)))
        n_clusters = len(set(clusters))
    sd_diff = correlation = None
    if len(per_run) == 2:
        b = np.array([per_run[1][i][0] for i in common])
        sd_diff = float(np.std(a - b, ddof=1))
        if sd_diff == 0:
            raise RunDirError(
                f"{runs[0].path} and {runs[1].path} score every shared sample the same on {metric!r}, so the "
                "paired difference has no variance to plan from",
                fix="plan from one run (--from-run once) with --paired-rho, or give --baseline and --paired-rho",
            )
        if np.std(b) > 0:
            correlation = float(np.corrcoef(a, b)[0, 1])
    return PlanInputs(metric, len(common), sd, sd_diff, correlation, deff, n_clusters)
