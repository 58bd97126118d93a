"""End to end on the real SmolLM2: `bbq` (limit 30) writes results.json with accuracy and bias-score intervals."""

import json
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_bbq_on_smollm2_writes_bias_scores_with_intervals(tmp_path: Path) -> None:
    pytest.importorskip("assay.models.hf")
    import assay.suites.fairness.tasks  # noqa: F401  (registers bbq until discovery lists the module)
    from assay import evaluate

    (run,) = evaluate("bbq", "hf/smollm2", limit=30, log_dir=tmp_path, cache_path=tmp_path / "c.db")
    results = json.loads((run.path / "results.json").read_text())
    acc = results["metrics"]["acc"]
    assert acc["ci_low"] <= acc["value"] <= acc["ci_high"] and acc["n"] == 30
    analysis = results["analysis"]
    overall = analysis["overall"]
    assert overall["n"] == 30 and overall["n_invalid"] == 0  # log-likelihood always picks an option
    for key in ("accuracy_ambig", "accuracy_disambig", "bias_score_ambig", "bias_score_disambig"):
        e = overall[key]
        assert math.isfinite(e["value"]) and e["ci_low"] <= e["value"] <= e["ci_high"], key
    assert -1.0 <= overall["bias_score_disambig"]["value"] <= 1.0
    assert len(analysis["categories"]) >= 5  # the slice interleaves categories, so 30 items span many
