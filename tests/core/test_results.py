"""results.json from records: groups and variants with too little data to estimate are left out, not a crash;
a run whose results cannot be computed is not marked complete."""

import json
from pathlib import Path

import pytest
from tests.servers.faulty_openai import FaultyOpenAIServer

import assay
from assay.core.results import compute_results
from assay.scorers import exact_match


def records(scores_by_sample: dict[str, list[float]], cluster: dict[str, str]) -> list[dict]:
    return [
        {"sample_id": sid, "epoch": e + 1, "variant": "", "scores": {"acc": v}, "cluster": cluster[sid]}
        for sid, values in scores_by_sample.items()
        for e, v in enumerate(values)
    ]


def test_a_one_sample_group_with_disagreeing_epochs_is_left_out() -> None:
    scores = {"a": [1.0, 0.0], "b": [1.0, 1.0], "c": [0.0, 0.0], "d": [1.0, 0.0]}
    out = compute_results(records(scores, {"a": "x", "b": "y", "c": "y", "d": "z"}), ["acc"])
    assert out["metrics"]["acc"]["value"] == pytest.approx(0.5) and out["metrics"]["acc"]["n"] == 4
    assert "within_sample_var" in out["metrics"]["acc"]  # the epochs split is still made over all samples
    assert set(out["groups"]) == {"y"}  # x and z hold one sample that scored 0.5: no interval exists
    one = compute_results(records({"a": [1.0, 0.0]}, {"a": "x"}), ["acc"])
    assert one["metrics"] == {} and "one sample" in one["not_estimated"]["acc"]
    agreeing = compute_results(records({"a": [1.0, 1.0]}, {"a": "x"}), ["acc"])
    assert agreeing["metrics"]["acc"]["ci_low"] < 1.0  # one 0/1 sample: still Wilson's interval
    graded = compute_results(records({"a": [0.7]}, {"a": "x"}), ["acc"])  # one graded score, one epoch
    assert graded["metrics"]["acc"]["value"] == 0.7 and "not_estimated" not in graded


def test_a_run_whose_results_fail_is_not_marked_complete(tmp_path: Path) -> None:
    def broken_analysis(records: list[dict]) -> dict:
        raise ValueError("analysis bug")

    task = assay.Task(
        dataset=[assay.Sample(input=f"q{i}", target="A") for i in range(4)],
        scorer=exact_match(),
        name="broken",
        analysis=broken_analysis,
    )
    with FaultyOpenAIServer() as server, pytest.raises(ValueError, match="analysis bug"):
        assay.evaluate(task, "openai/t", base_url=server.url, log_dir=tmp_path, cache=False)
    (spec,) = tmp_path.glob("*/spec.json")
    assert json.loads(spec.read_text())["status"] == "failed" and not (spec.parent / "results.json").exists()
