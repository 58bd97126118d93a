"""The suite report from real run directories, made by the runner with a scripted model (no weights)."""

import hashlib
from pathlib import Path

from tests.suites.safety.scripted_model import ScriptedModel

from assay.core.evaluate import resolve_variants
from assay.core.results import compute_results
from assay.core.rundir import iter_records, new_run_dir, write_json_atomic
from assay.core.runner import RunOptions, run_samples
from assay.core.sample import Sample
from assay.core.task import Task
from assay.models.base import Request
from assay.scorers import choice
from assay.suites.robustness import SUITES, suite_entries
from assay.suites.robustness.report import write_suite_report


def _hash_pick(request: Request) -> int:
    """Prefers the continuation picked by a hash of the prompt: perturbing the prompt can change the answer."""
    assert request.continuations is not None
    return hashlib.sha256(str(request.input).encode()).digest()[0] % len(request.continuations)


def make_run(tmp_path: Path, perturb: list[str]) -> Path:
    import asyncio

    samples = [
        Sample(
            input=f"Question {i}: is it not a big problem for him?",
            choices=["yes", "no", "maybe"],
            target="ABC"[i % 3],
            id=f"q{i}",
        )
        for i in range(40)
    ]
    task = Task(dataset=samples, scorer=choice(), name="toy", template="{{ input }}\n{{ formatted_choices }}\nAnswer:")
    run_dir = new_run_dir(tmp_path, "toy", "scripted/hash")
    write_json_atomic(
        run_dir / "spec.json",
        {"status": "complete", "task": {"name": "toy"}, "model": {"name": "scripted/hash"}, "run": {}},
    )
    options = RunOptions(variants=resolve_variants(perturb), cache=False, seed=1)
    asyncio.run(run_samples(task, ScriptedModel(name="scripted/hash", pick=_hash_pick), run_dir, options))
    records = list(iter_records(run_dir))
    write_json_atomic(run_dir / "results.json", compute_results(records, ["acc"]))
    return run_dir


def test_report_lists_every_headline_number_with_its_interval(tmp_path: Path) -> None:
    perturb = ["typo:0.2", "shuffle_choices", "gender:female", "gender:male"]
    run_dir = make_run(tmp_path, perturb)
    records = list(iter_records(run_dir))
    assert {r["variant"] for r in records} == {"", *perturb}
    assert all(r["metadata"]["perturbation"]["name"] == r["variant"] for r in records if r["variant"])
    report = write_suite_report([run_dir], tmp_path / "out" / "report.md", suite="robustness")
    text = report.read_text()
    assert text.startswith("# assay robustness suite report")
    for name in (
        "typo:0.2",
        "shuffle_choices",
        "Worst case over perturbations",
        "Counterfactual fairness",
        "gender:female",
        "accuracy parity difference",
        "tested against",
    ):
        assert name in text, name


def test_rerun_gives_the_same_perturbed_prompts(tmp_path: Path) -> None:
    a = {(r["sample_id"], r["variant"]): r["prompt"] for r in iter_records(make_run(tmp_path / "a", ["typo:0.3"]))}
    b = {(r["sample_id"], r["variant"]): r["prompt"] for r in iter_records(make_run(tmp_path / "b", ["typo:0.3"]))}
    assert a == b and any(a[(i, "typo:0.3")] != a[(i, "")] for i, _ in a)


def test_suites_name_registered_perturbations() -> None:
    from assay.perturb import get_perturbation

    for entries in SUITES.values():
        for entry in entries:
            for name in entry.perturb:
                get_perturbation(name)
    assert [e.task for e in suite_entries("robustness")] == ["mmlu"]
