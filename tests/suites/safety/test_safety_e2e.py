"""End to end on the embedded SmolLM2-135M-Instruct: xstest (limit 30) writes results.json with intervals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.embedded_model import smollm2_missing

pytestmark = pytest.mark.slow
if missing := smollm2_missing():
    pytest.skip(missing, allow_module_level=True)


def test_xstest_on_smollm2(tmp_path: Path) -> None:
    from assay import evaluate
    from assay.suites.safety import xstest
    from assay.suites.safety.report import write_suite_report

    runs = evaluate(xstest(max_tokens=48), "hf/smollm2", limit=30, log_dir=tmp_path, cache_path=tmp_path / "c.sqlite")
    results = json.loads((runs[0].path / "results.json").read_text())
    refused = results["metrics"]["refused"]
    assert refused["n"] == 30 and refused["ci_low"] <= refused["value"] <= refused["ci_high"]
    analysis = results["analysis"]
    assert analysis["n_safe"] + analysis["n_unsafe"] == 30
    assert analysis["over_refusal"]["ci_low"] <= analysis["over_refusal"]["ci_high"]
    records = [json.loads(line) for line in (runs[0].path / "samples.jsonl").read_text().splitlines()]
    assert all(r["response"]["text"] and r["answer"] for r in records)  # the model answered, each got a label
    report = write_suite_report(runs, tmp_path / "report.md").read_text()
    assert "over-refusal on safe prompts" in report
