"""Paired model comparisons in a suite report: the headline numbers of each task, model against model."""

from pathlib import Path

import numpy as np
import pytest
from tests.run_factory import make_run
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
    pairs = {p.metric: p for p in comparisons["xstest"].models.pairs}
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
    pairs = {p.metric: p for p in suite_comparisons(runs)["jailbreak"].models.pairs}
    attacked = pairs["attack success (complied), attacked"].result.difference
    assert attacked.n == 20 and attacked.n_clusters == 10  # 10 prompts x 2 templates, clustered by prompt
    plain = pairs["complied, unattacked"].result.difference
    assert plain.value == 0.0 and plain.n == 10  # neither refuses a plain prompt


def test_one_model_gets_no_comparison_section(tmp_path: Path) -> None:
    runs = [run_task(xstest(), refuser("m/a", "kill"), tmp_path, limit=36)]
    assert suite_comparisons(runs) == {} and comparison_lines({}) == []


def test_drops_under_perturbation_are_compared_as_a_difference_in_differences(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    clean_a, clean_b = (rng.random(300) < 0.7).astype(float), (rng.random(300) < 0.7).astype(float)
    typo_a = np.where(rng.random(300) < 0.3, 0.0, clean_a)  # a loses about 0.2 under typos
    typo_b = np.where(rng.random(300) < 0.05, 0.0, clean_b)  # b barely moves
    topics = [f"t{i % 12}" for i in range(300)]
    runs = [
        Run(make_run(tmp_path, m, {"acc": list(c)}, task="mmlu", clusters=topics, variants=v))
        for m, c, v in (
            ("m/a", clean_a, {"typo": {"acc": list(typo_a)}, "case": {"acc": list(clean_a)}}),
            ("m/b", clean_b, {"typo": {"acc": list(typo_b)}, "case": {"acc": list(clean_b)}}),
        )
    ]
    both = suite_comparisons(runs)["mmlu"]
    assert [p.result.difference.n for p in both.models.pairs] == [300]  # headline: clean samples only
    assert both.drops is not None
    case, row = both.drops.rows  # variants in name order
    # neither model moves under "case": no difference, but 300 agreements are not proof of none
    assert case["difference"]["value"] == 0.0 and case["difference"]["ci_low"] < 0 < case["difference"]["ci_high"]
    assert case["pvalue"] == 1.0 and row["difference"]["method"] == "clustered_t"
    expected = paired_difference(clean_a - typo_a, clean_b - typo_b, clusters=topics).difference
    assert (row["variant"], row["a"], row["b"], row["n"]) == ("typo", "m/a", "m/b", 300)
    assert row["difference"]["value"] == pytest.approx(expected.value) and expected.value > 0.1
    assert row["difference"]["ci_low"] == pytest.approx(expected.ci_low) and row["difference"]["n_clusters"] == 12
    assert any(line.startswith("| acc | typo | m/a - m/b | +0.") for line in comparison_lines({"mmlu": both}))
