"""Write real run directories with chosen scores, for tests of what reads them (compare, plan, show)."""

from pathlib import Path
from typing import Any

from assay.core.results import compute_results
from assay.core.rundir import SampleLog, new_run_dir, write_json_atomic


def make_run(
    log_dir: Path,
    model: str,
    scores: dict[str, list[float]],
    *,
    task: str = "t",
    dataset_hash: str = "h1",
    clusters: list[str] | None = None,
    ids: list[str] | None = None,
    epochs: int = 1,
    variants: dict[str, dict[str, list[float]]] | None = None,
) -> Path:
    """One record per (sample, epoch); `scores[metric][k]` is record k's value (epoch-major order).
    `variants[name]` gives the scores of perturbed copies of the same records, in the same layout."""
    n_records = len(next(iter(scores.values())))
    n_samples = n_records // epochs
    ids = ids or [f"s{i}" for i in range(n_samples)]
    run_dir = new_run_dir(log_dir, task, model)
    spec: dict[str, Any] = {
        "status": "complete",
        "task": {"name": task, "ref": task, "metrics": list(scores), "dataset_hash": dataset_hash, "args": {}},
        "model": {"name": model},
        "run": {},
    }
    write_json_atomic(run_dir / "spec.json", spec)
    log = SampleLog(run_dir)
    records = []
    for variant, variant_scores in {"": scores, **(variants or {})}.items():
        for k in range(n_records):
            i = k % n_samples
            rec: dict[str, Any] = {
                "sample_id": ids[i],
                "epoch": k // n_samples + 1,
                "variant": variant,
                "scores": {m: v[k] for m, v in variant_scores.items()},
            }
            if clusters is not None:
                rec["cluster"] = clusters[i]
            log.append(rec)
            records.append(rec)
    log.close()
    write_json_atomic(run_dir / "results.json", compute_results(records, list(scores)))
    return run_dir
