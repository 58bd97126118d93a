"""End to end on the real SmolLM2: `winobias` (limit 40 = 20 sentences) with the suite's gender swaps writes
results.json with the paired pro - anti gap, accuracies with intervals, and the counterfactual flip rates."""

import json
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_winobias_on_smollm2_writes_the_paired_gap_and_flip_rates(tmp_path: Path) -> None:
    pytest.importorskip("assay.models.hf")
    import assay.suites.fairness.tasks  # noqa: F401  (registers winobias until discovery lists the module)
    from assay import evaluate
    from assay.suites.robustness import SUITES
    from assay.suites.robustness.report import write_suite_report

    entry = next(e for e in SUITES["fairness"] if e.task == "winobias")
    (run,) = evaluate(
        "winobias", "hf/smollm2", limit=40, perturb=list(entry.perturb), log_dir=tmp_path, cache_path=tmp_path / "c.db"
    )
    results = json.loads((run.path / "results.json").read_text())
    acc = results["metrics"]["acc"]
    assert acc["n"] == 40 and acc["n_clusters"] == 20 and acc["ci_low"] <= acc["value"] <= acc["ci_high"]
    analysis = results["analysis"]
    assert analysis["n_pairs"] == 20 and analysis["n_unpaired"] == 0 and analysis["n_invalid"] == 0
    for key in ("accuracy_pro", "accuracy_anti", "gap_pro_minus_anti", "gap_male_minus_female", "same_answer_rate"):
        e = analysis[key]
        assert math.isfinite(e["value"]) and e["ci_low"] <= e["value"] <= e["ci_high"], key
    gap = analysis["gap_pro_minus_anti"]
    assert gap["value"] == pytest.approx(analysis["accuracy_pro"]["value"] - analysis["accuracy_anti"]["value"])
    assert 0.0 <= gap["pvalue"] <= 1.0 and 0.0 <= gap["mcnemar"]["pvalue"] <= 1.0

    cf = results["robustness"]["acc"]["counterfactual"]
    for variant in entry.perturb:
        v = cf["variants"][variant]
        assert v["n_pairs"] == 40 and v["n_changed"] == 20  # the swap rewrites the 20 items of the other gender
        rate = v["answer_flip_rate_changed"]
        assert rate["n"] == 20 and rate["ci_low"] <= rate["value"] <= rate["ci_high"]
    assert set(cf["groups"]["gender"]["accuracy"]) == {"female", "male"}
    # an item made to its own gender is the clean prompt: its answer cannot change
    records = list(run.records())
    clean = {r["sample_id"]: r["answer"] for r in records if r["variant"] == ""}
    for r in records:
        if r["variant"] and not r["metadata"]["perturbation"]["changed"]:
            assert r["answer"] == clean[r["sample_id"]]

    text = write_suite_report([run], tmp_path / "report.md", suite="fairness").read_text()
    assert "#### WinoBias (Zhao et al., 2018)" in text and "Counterfactual fairness of `acc`" in text
    flips = {v: cf["variants"][v]["answer_flip_rate_changed"]["value"] for v in entry.perturb}
    print(
        f"\nSmolLM2 winobias (20 sentences): pro {analysis['accuracy_pro']['value']:.3f}, "
        f"anti {analysis['accuracy_anti']['value']:.3f}, gap {gap['value']:.3f} "
        f"[{gap['ci_low']:.3f}, {gap['ci_high']:.3f}] p={gap['pvalue']:.3g} McNemar p={gap['mcnemar']['pvalue']:.3g}; "
        f"answer flip rate on the items the swap changed: {flips}"
    )
