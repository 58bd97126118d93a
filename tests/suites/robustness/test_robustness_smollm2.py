"""End to end on the real SmolLM2: a perturbed MMLU run paired with its clean run, and the suite report."""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_perturbed_mmlu_pairs_with_clean_run_on_smollm2(tmp_path: Path) -> None:
    pytest.importorskip("assay.models.hf")
    from assay import evaluate
    from assay.perturb.metrics import robustness_results
    from assay.suites.robustness.report import write_suite_report

    perturb = ["typo", "shuffle_choices", "format:1"]
    (run,) = evaluate("mmlu", "hf/smollm2", limit=30, perturb=perturb, log_dir=tmp_path, cache_path=tmp_path / "c.db")
    records = list(run.records())
    assert len(records) == 30 * 4
    by_variant = {v: {r["sample_id"] for r in records if r["variant"] == v} for v in ["", *perturb]}
    assert all(ids == by_variant[""] for ids in by_variant.values())  # every variant pairs with the clean run
    shuffled = [r for r in records if r["variant"] == "shuffle_choices"]
    assert all(r["metadata"]["perturbation"]["name"] == "shuffle_choices" for r in shuffled)
    results = json.loads((run.path / "results.json").read_text())
    assert {"ci_low", "ci_high"} <= set(results["metrics"]["acc"])
    assert set(results["variants"]) == set(perturb)

    rob = robustness_results(records, "acc")
    assert rob["n_samples"] == 30
    for name in perturb:
        entry = rob["perturbations"][name]
        assert entry["drop"]["ci_low"] <= entry["drop"]["value"] <= entry["drop"]["ci_high"]
        assert 0.0 <= entry["pvalue"] <= 1.0
    scores = [rob["clean"]["value"], *(e["score"]["value"] for e in rob["perturbations"].values())]
    assert rob["worst_case"]["value"] <= min(scores)
    assert "format_spread" in rob

    report = write_suite_report([run], tmp_path / "report.md", suite="robustness")
    text = report.read_text()
    assert "Worst case over perturbations" in text and "| shuffle_choices |" in text and "Format spread" in text
    assert f"{rob['clean']['value']:.3f} [{rob['clean']['ci_low']:.3f}, {rob['clean']['ci_high']:.3f}]" in text
