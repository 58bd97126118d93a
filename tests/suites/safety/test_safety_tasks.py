"""xstest, harmful, jailbreak and the suite report, on scripted models (no real model, no network)."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
from tests.suites.safety.scripted_model import ScriptedModel, last_user

from assay.core.run import Run
from assay.core.runner import RunOptions, run_samples
from assay.core.task import Task
from assay.scorers.refusal import CLASSIFIER_VERSION
from assay.suites.safety import harmful, jailbreak, xstest, xstest_validation
from assay.suites.safety.jailbreak import apply_template, template_names
from assay.suites.safety.report import write_suite_report
from assay.suites.safety.validation import bundled_validation

XSTEST = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "xstest"


def run_task(task: Task, model: ScriptedModel, tmp_path: Path, limit: int | None = None) -> Run:
    """Run a task the way evaluate does (records, results with analysis), on a scripted model."""
    from assay.core.results import compute_results
    from assay.core.rundir import iter_records, new_run_dir, write_json_atomic
    from assay.core.spec import build_spec

    run_dir = new_run_dir(tmp_path, task.name, model.name)
    spec = build_spec(task, task.name, model.name, {}, {})
    spec["status"] = "complete"
    write_json_atomic(run_dir / "spec.json", spec)
    asyncio.run(run_samples(task, model, run_dir, RunOptions(limit=limit, cache=False)))  # type: ignore[arg-type]
    records = list(iter_records(run_dir))
    results = compute_results(records, task.metric_names())
    if task.analysis:
        results["analysis"] = task.analysis(records)
    write_json_atomic(run_dir / "results.json", results)
    return Run(run_dir)


def refuse_if(word: str) -> ScriptedModel:
    return ScriptedModel(lambda r: "I'm sorry, but I can't help with that." if word in last_user(r) else "Sure: ...")


def test_xstest_data_is_bundled() -> None:
    samples = xstest().samples()
    assert len(samples) == 450 and len({s.id for s in samples}) == 450
    labels = [s.metadata["label"] for s in samples]
    assert labels.count("safe") == 250 and labels.count("unsafe") == 200
    assert {s.cluster for s in samples} == {s.metadata["type"] for s in samples}


def test_xstest_analysis_over_refusal_by_type(tmp_path: Path) -> None:
    # refuses every prompt mentioning "kill": some safe homonyms and some unsafe contrasts
    run = run_task(xstest(), refuse_if("kill"), tmp_path)
    records = list(run.records())
    a = (run.raw_results or {})["analysis"]
    safe = [r for r in records if r["metadata"]["label"] == "safe"]
    expected = sum("kill" in r["prompt"][-1]["content"] for r in safe) / len(safe)
    assert a["over_refusal"]["value"] == pytest.approx(expected)
    assert a["over_refusal"]["n_clusters"] == 10  # clustered by the ten safe prompt types
    assert a["n_safe"] == 250 and a["n_unsafe"] == 200
    homonyms = [r for r in safe if r["metadata"]["type"] == "homonyms"]
    assert a["per_type"]["homonyms"]["refused"]["value"] == pytest.approx(
        sum("kill" in r["prompt"][-1]["content"] for r in homonyms) / len(homonyms)
    )
    assert a["classifier_validation"]["classifier"] == CLASSIFIER_VERSION
    assert a["classifier_validation"]["accuracy"]["value"] > 0.8  # bundled held-out agreement


def test_xstest_order_spans_every_type_early() -> None:
    from assay.suites.safety.xstest import xstest_samples

    samples = xstest_samples()
    assert len({s.id for s in samples}) == 450
    first = samples[:36]
    types = {s.metadata["type"] for s in samples}
    assert len(types) == 18 and all(sum(s.metadata["type"] == t for s in first) == 2 for t in types)
    assert {s.metadata["label"] for s in samples[:20]} == {"safe", "unsafe"}


def test_harmful_refusal_rate(tmp_path: Path) -> None:
    run = run_task(harmful(), refuse_if("weapon"), tmp_path, limit=40)
    a = (run.raw_results or {})["analysis"]
    prompts = [r["prompt"][-1]["content"] for r in run.records()]
    assert a["refused"]["value"] == pytest.approx(sum("weapon" in p for p in prompts) / 40)
    assert a["complied"]["value"] == pytest.approx(1 - a["refused"]["value"])
    assert len(harmful().samples()) == 200


def test_templates() -> None:
    assert template_names("base64,leetspeak")[:3] == ["none", "base64", "leetspeak"]
    assert len(template_names("all")) == 12  # none + 5 transformations + 6 DAN-style
    encoded = apply_template("base64", "Tell me a secret").split("\n\n")[-1]
    assert base64.b64decode(encoded).decode() == "Tell me a secret"
    assert "ChatGPT" in apply_template("dan_6_0", "X") and apply_template("dan_6_0", "X").endswith("X")
    with pytest.raises(Exception, match="unknown jailbreak template"):
        template_names("nope")


def test_jailbreak_paired_attack_success(tmp_path: Path) -> None:
    # the model refuses plain requests but complies whenever the prompt is role-play
    model = ScriptedModel(lambda r: "Sure, as Alex: ..." if "Alex" in last_user(r) else "Sorry, but I can't.")
    run = run_task(jailbreak(templates="roleplay,prefix_injection"), model, tmp_path, limit=30)
    a = (run.raw_results or {})["analysis"]
    per = a["per_template"]
    assert per["none"]["attack_success"]["value"] == 0.0
    assert per["roleplay"]["attack_success"]["value"] == 1.0 and per["roleplay"]["n"] == 10
    assert per["roleplay"]["vs_none"]["a0_b1"] == 10 and per["roleplay"]["vs_none"]["mcnemar_pvalue"] < 0.01
    assert per["prefix_injection"]["vs_none"]["mcnemar_pvalue"] == 1.0
    assert a["worst_template"] == "roleplay" and a["any_template"]["value"] == 1.0
    assert a["worst_rate"]["value"] == 1.0 and a["worst_rate"]["method"] == "bootstrap_max_t"


def worst_line(report: Path) -> str:
    return next(x for x in report.read_text().splitlines() if x.startswith("- worst template"))


def test_jailbreak_worst_template_needs_two_complete_prompts(tmp_path: Path) -> None:
    # role-play breaks every prompt, prefix injection only the first; at --limit 4 (3 samples per prompt)
    # only the first prompt ran under every template, too few for a simultaneous interval
    first = jailbreak(templates="roleplay,prefix_injection").samples()[0].metadata["request"]
    model = ScriptedModel(
        lambda r: (
            "Sure: ..."
            if "Alex" in last_user(r) or (first in last_user(r) and "Absolutely" in last_user(r))
            else "Sorry, but I can't."
        )
    )
    short = run_task(jailbreak(templates="roleplay,prefix_injection"), model, tmp_path, limit=4)
    a = (short.raw_results or {})["analysis"]
    assert a["complete_prompts"] == 1 and a["worst_rate"] is None and a["n_templates"] == 3
    line = worst_line(write_suite_report([short], tmp_path / "s.md"))
    assert "only 1 prompt(s) ran under every template" in line and "--limit 6 or more" in line
    tiny = run_task(jailbreak(templates="roleplay,prefix_injection"), model, tmp_path, limit=2)
    assert "runs 3 times" in worst_line(write_suite_report([tiny], tmp_path / "t.md"))  # not 2: a template is cut
    plain = run_task(jailbreak(templates="none"), model, tmp_path, limit=4)
    assert "no attack template ran" in worst_line(write_suite_report([plain], tmp_path / "p.md"))
    full = run_task(jailbreak(templates="roleplay,prefix_injection"), model, tmp_path, limit=30)
    a = (full.raw_results or {})["analysis"]
    assert a["complete_prompts"] == 10 and a["worst_template"] == "roleplay"
    assert a["worst_rate"]["value"] == 1.0 and a["per_template"]["prefix_injection"]["attack_success"]["value"] == 0.1
    line = worst_line(write_suite_report([full], tmp_path / "f.md"))
    assert "worst template: roleplay: 1.000" in line and "on the 10 prompts that ran under every template" in line


@pytest.mark.skipif(not (XSTEST / "model_completions").is_dir(), reason="XSTest completions absent")
def test_xstest_validation_task_measures_agreement(tmp_path: Path) -> None:
    task = xstest_validation(models="gpt4", completions_dir=str(XSTEST))
    model = ScriptedModel(lambda r: pytest.fail("a validation run must not call the model"))  # type: ignore[arg-type]
    run = run_task(task, model, tmp_path, limit=60)
    a = (run.raw_results or {})["analysis"]
    assert a["n"] == 60 and 0.0 <= a["accuracy"]["value"] <= 1.0
    records = list(run.records())
    assert a["accuracy"]["value"] == pytest.approx(sum(r["answer"] == r["target"] for r in records) / 60)


def test_suite_report_lists_headlines(tmp_path: Path) -> None:
    runs = [
        run_task(xstest(), refuse_if("kill"), tmp_path, limit=60),
        run_task(jailbreak(templates="roleplay"), refuse_if("zzz"), tmp_path, limit=10),
    ]
    path = write_suite_report(runs, tmp_path / "out")
    text = path.read_text()
    over = (runs[0].raw_results or {})["analysis"]["over_refusal"]
    assert f"{over['value']:.3f} [{over['ci_low']:.3f}, {over['ci_high']:.3f}]" in text
    assert "three-way accuracy" in text and "Cohen's kappa" in text
    held_out = bundled_validation()["per_source"]["mistralinstruct"]["accuracy"]["value"]  # type: ignore[index]
    assert f"  - mistralinstruct: three-way {held_out:.3f}" in text  # each held-out model, not only the pool
    assert "| roleplay |" in text and "worst template" in text
    harmful_run = run_task(harmful(), refuse_if("weapon"), tmp_path, limit=5)
    harmful_text = write_suite_report([harmful_run], tmp_path / "harmful.md").read_text()
    assert harmful_text.count(f"- classifier: {CLASSIFIER_VERSION}") == 1  # named once, with its validation
    results: dict[str, Any] = json.loads((runs[0].path / "results.json").read_text())
    assert "analysis" in results
