"""End to end on the embedded SmolLM2-135M-Instruct: truthfulqa_mc (limit 30) writes results.json with intervals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from tests.embedded_model import smollm2_missing

pytestmark = pytest.mark.slow
if missing := smollm2_missing():
    pytest.skip(missing, allow_module_level=True)


def test_truthfulqa_mc_on_smollm2(tmp_path: Path) -> None:
    from assay import evaluate
    from assay.suites.alignment import truthfulqa_mc

    runs = evaluate(truthfulqa_mc(), "hf/smollm2", limit=30, log_dir=tmp_path, cache_path=tmp_path / "c.sqlite")
    results = json.loads((runs[0].path / "results.json").read_text())
    for metric in ("mc1", "mc2"):
        e = results["metrics"][metric]
        assert e["n"] == 30 and e["ci_low"] <= e["value"] <= e["ci_high"]
    records = [json.loads(line) for line in (runs[0].path / "samples.jsonl").read_text().splitlines()]
    for r in records:
        probs = r["score_metadata"]["probs"]
        assert math.isclose(sum(probs), 1.0, rel_tol=1e-6) and len(probs) == len(r["choices"])
        assert r["scores"]["mc2"] == pytest.approx(probs[0])  # BIG-bench lists the one true answer first
