"""Export a run's sample records to Parquet (one row per record) for DuckDB, pandas, Polars."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assay.core.rundir import iter_records


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def records_to_rows(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Columns: ids, prompt, target, answer, output, one `score_<metric>` column per metric, timing."""
    metrics = sorted({m for r in records for m in (r.get("scores") or {})})
    columns: dict[str, list[Any]] = {
        k: []
        for k in (
            "sample_id",
            "epoch",
            "variant",
            "cluster",
            "prompt",
            "target",
            "answer",
            "output",
            "cached",
            "latency",
        )
    }
    columns.update({f"score_{m}": [] for m in metrics})
    columns["response"] = []
    columns["metadata"] = []
    for r in records:
        response = r.get("response") or {}
        columns["sample_id"].append(r["sample_id"])
        columns["epoch"].append(int(r["epoch"]))
        columns["variant"].append(r.get("variant", ""))
        columns["cluster"].append(r.get("cluster"))
        columns["prompt"].append(_as_text(r.get("prompt")))
        columns["target"].append(_as_text(r.get("target")))
        columns["answer"].append(r.get("answer"))
        columns["output"].append(response.get("text"))
        columns["cached"].append(bool(r.get("cached")))
        columns["latency"].append(float(response.get("latency", 0.0)))
        for m in metrics:
            columns[f"score_{m}"].append((r.get("scores") or {}).get(m))
        columns["response"].append(json.dumps(response, ensure_ascii=False))
        columns["metadata"].append(_as_text(r.get("metadata")))
    return columns


def export_parquet(run_dir: Path, out: Path | None = None) -> Path:
    """`run_dir`'s records as Parquet (default `run_dir/samples.parquet`), each row also naming the run's task,
    model and directory, so that the files of several runs read as one table: in DuckDB,
    `read_parquet('LOG_DIR/*/samples.parquet', union_by_name=true)` (tasks have different score columns)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from assay.core.rundir import read_spec

    out = out or Path(run_dir) / "samples.parquet"
    spec = read_spec(Path(run_dir))
    rows = records_to_rows(list(iter_records(Path(run_dir))))
    n = len(rows["sample_id"])
    run = {"task": [spec["task"]["name"]] * n, "model": [spec["model"]["name"]] * n, "run": [Path(run_dir).name] * n}
    table = pa.table({**run, **rows})
    tmp = out.with_name(f".{out.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(out)
    return out
