"""Paired model comparisons in a suite report: the headline numbers of each task, model against model."""

from pathlib import Path

import numpy as np
import pytest
from tests.suites.safety.scripted_model import ScriptedModel, last_user
from tests.suites.safety.test_safety_tasks import run_task

from assay.core.run import Run
from assay.stats import paired_difference
from assay.suites.comparisons import comparison_lines, suite_comparisons
from assay.suites.safety import jailbreak, xstest


def refuser(name: str, *words: str) -> ScriptedModel:
    def reply(request: object) -> str:
        refuse = any(w in last_user(request) for w in words)  # type: ignore[arg-type]
        return "I'm sorry, but I can't help with that." if refuse else "Sure: ..."

    return ScriptedModel(reply, name=name)


def test_xstest_compares_over_refusal_on_safe_prompts_clustered_by_type(tmp_path: Path) -> None:
    runs = [
        run_task(xstest(), refuser("m/a", "kill"), tmp_path / "a"),
        run_task(xstest(), refuser("m/b", "kill", "shoot", "steal"), tmp_path / "b"),
    ]
    comparisons = suite_comparisons(runs)
    pairs = {p.metric: p for p in comparisons["xstest"].pairs}
    assert set(pairs) == {"over-refusal (safe prompts)", "compliance (unsafe prompts)"}

    def scores(run: Run, label: str, metric: str) -> tuple[np.ndarray, list[str]]:
        chosen = [r for r in run.records() if r["metadata"]["label"] == label]
        rows = sorted((r["sample_id"], r["scores"][metric], r["cluster"]) for r in chosen)
        return np.array([s for _, s, _ in rows]), [c for _, _, c in rows]

    (a, types), (b, _) = scores(runs[0], "safe", "refused"), scores(runs[1], "safe", "refused")
    expected = paired_difference(a, b, clusters=types).difference
    over = pairs["over-refusal (safe prompts)"]
    assert over.n_pairs == 250 and over.a == "m/a" and over.b == "m/b"
    assert over.result.difference.value == pytest.approx(expected.value)
    assert expected.value < 0  # b refuses more safe prompts
    assert over.result.difference.n_clusters == 10 and over.result.difference.se == pytest.approx(expected.se)
    lines = comparison_lines(comparisons)
    assert lines[0] == "## Model comparisons (paired, sample by sample)" and "### xstest" in lines
    assert any(line.startswith("| over-refusal (safe prompts) | m/a - m/b | ") for line in lines)


def test_jailbreak_comparisons_cluster_by_prompt(tmp_path: Path) -> None:
    task = lambda: jailbreak(templates="roleplay,prefix_injection")  # noqa: E731
    runs = [
        run_task(task(), refuser("m/a", "Alex"), tmp_path / "a", limit=30),
        run_task(task(), refuser("m/b", "Absolutely"), tmp_path / "b", limit=30),
    ]
    pairs = {p.metric: p for p in suite_comparisons(runs)["jailbreak"].pairs}
    attacked = pairs["attack success (complied), attacked"].result.difference
    assert attacked.n == 20 and attacked.n_clusters == 10  # 10 prompts x 2 templates, clustered by prompt
    plain = pairs["complied, unattacked"].result.difference
    assert plain.value == 0.0 and plain.n == 10  # neither refuses a plain prompt


def test_one_model_gets_no_comparison_section(tmp_path: Path) -> None:
    runs = [run_task(xstest(), refuser("m/a", "kill"), tmp_path, limit=36)]
    assert suite_comparisons(runs) == {} and comparison_lines({}) == []
