"""WinoBias analysis: the paired pro - anti gap against scipy and statsmodels, hand-counted cases, and a
fully stereotyped scripted model run through the runner, the counterfactual swaps and the suite report."""

import asyncio
import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.proportion import proportion_confint
from tests.suites.safety.scripted_model import ScriptedModel

from assay.core.evaluate import resolve_variants
from assay.core.results import compute_results
from assay.core.rundir import iter_records, new_run_dir, write_json_atomic
from assay.core.runner import RunOptions, run_samples
from assay.models.base import Request
from assay.suites.fairness.build_winobias import MALE_OCCUPATIONS
from assay.suites.fairness.winobias import winobias_analysis, winobias_samples


def _records(pro_ok: np.ndarray, anti_ok: np.ndarray, epoch: int = 1) -> list[dict[str, Any]]:
    """Clean records of the first len(pro_ok) sentences, answered right or wrong as given."""
    samples = winobias_samples()[: 2 * len(pro_ok)]
    out = []
    for s in samples:
        k = samples.index(s) // 2
        ok = (pro_ok if s.metadata["stereotype"] == "pro" else anti_ok)[k]
        letter = "AB"[s.target_index() if ok else 1 - s.target_index()]
        out.append({"sample_id": s.id, "epoch": epoch, "variant": "", "target": s.target, "answer": letter,
                    "metadata": s.metadata})  # fmt: skip
    return out


def test_gap_is_the_paired_difference_of_scipy_and_mcnemar_of_statsmodels() -> None:
    rng = np.random.default_rng(7)
    n = 120
    pro = (rng.random(n) < 0.8).astype(float)
    anti = (rng.random(n) < 0.6).astype(float)
    out = winobias_analysis(_records(pro, anti))
    assert out["n_pairs"] == n and out["n_unpaired"] == 0 and out["n_invalid"] == 0

    gap = out["gap_pro_minus_anti"]
    d = pro - anti
    assert gap["value"] == pytest.approx(d.mean())
    # Bonett-Price adjusted Wald interval for paired proportions, by hand, and the z-test it inverts
    p10, p01 = (np.sum(d == 1) + 1) / (n + 2), (np.sum(d == -1) + 1) / (n + 2)
    se = np.sqrt((p10 + p01 - (p10 - p01) ** 2) / (n + 2))
    half = sps.norm.ppf(0.975) * se
    assert gap["pvalue"] == pytest.approx(2 * sps.norm.sf(abs(p10 - p01) / se), rel=1e-6)
    assert gap["method"] == "bonett_price"
    assert (gap["ci_low"], gap["ci_high"]) == pytest.approx((p10 - p01 - half, p10 - p01 + half), rel=1e-9)
    table = [[np.sum((pro == 1) & (anti == 1)), np.sum((pro == 1) & (anti == 0))],
             [np.sum((pro == 0) & (anti == 1)), np.sum((pro == 0) & (anti == 0))]]  # fmt: skip
    assert gap["mcnemar"]["pvalue"] == pytest.approx(sm_mcnemar(table, exact=True).pvalue, rel=1e-9)
    assert gap["mcnemar"]["n10"] == table[0][1] and gap["mcnemar"]["n01"] == table[1][0]

    for key, x in (("accuracy_pro", pro), ("accuracy_anti", anti)):
        lo, hi = proportion_confint(int(x.sum()), n, method="wilson")
        assert out[key]["value"] == pytest.approx(x.mean())
        assert (out[key]["ci_low"], out[key]["ci_high"]) == pytest.approx((lo, hi), rel=1e-9)

    # the same sentences by the pronoun's gender: male - female, also paired
    samples = winobias_samples()[: 2 * n]
    pro_male = np.array([s.metadata["pronoun_gender"] == "male" for s in samples if s.metadata["stereotype"] == "pro"])
    male, female = np.where(pro_male, pro, anti), np.where(pro_male, anti, pro)
    assert out["gap_male_minus_female"]["value"] == pytest.approx((male - female).mean())
    dm = male - female
    q10, q01 = (np.sum(dm == 1) + 1) / (n + 2), (np.sum(dm == -1) + 1) / (n + 2)
    z = (q10 - q01) / np.sqrt((q10 + q01 - (q10 - q01) ** 2) / (n + 2))
    assert out["gap_male_minus_female"]["pvalue"] == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-6)
    assert out["accuracy"]["value"] == pytest.approx((pro.mean() + anti.mean()) / 2)


def test_hand_counted_pairs_invalid_answers_unpaired_items_and_variants() -> None:
    # 4 sentences: right in both, right only in pro, right only in pro, wrong in both
    recs = _records(np.array([1.0, 1.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0, 0.0]))
    recs[-1]["answer"] = "I cannot say"  # sentence 4, anti: no option -> wrong and counted
    extra = _records(np.ones(5), np.ones(5))[8]  # the pro item of a 5th sentence, without its anti item
    perturbed = {**recs[0], "variant": "gender:female", "answer": "B" if recs[0]["answer"] == "A" else "A"}
    out = winobias_analysis([*recs, extra, perturbed])
    assert out["n_pairs"] == 4 and out["n_unpaired"] == 1 and out["n_invalid"] == 1
    assert out["accuracy_pro"]["value"] == 0.75 and out["accuracy_anti"]["value"] == 0.25
    assert out["gap_pro_minus_anti"]["value"] == 0.5
    assert out["gap_pro_minus_anti"]["mcnemar"] == {"pvalue": 0.5, "n10": 2, "n01": 0}
    assert out["same_answer_rate"]["value"] == 0.25  # only sentence 1 got the same option twice
    assert winobias_analysis(recs[:1])["n_pairs"] == 0 and "gap_pro_minus_anti" not in winobias_analysis(recs[:1])


def test_several_epochs_cluster_by_sentence_and_leave_mcnemar_out() -> None:
    rng = np.random.default_rng(3)
    n = 40
    p1, a1 = (rng.random(n) < 0.7).astype(float), (rng.random(n) < 0.5).astype(float)
    p2, a2 = (rng.random(n) < 0.7).astype(float), (rng.random(n) < 0.5).astype(float)
    out = winobias_analysis(_records(p1, a1, epoch=1) + _records(p2, a2, epoch=2))
    gap = out["gap_pro_minus_anti"]
    assert out["n_pairs"] == 2 * n and gap["n_clusters"] == n and "mcnemar" not in gap
    assert gap["value"] == pytest.approx(np.concatenate([p1 - a1, p2 - a2]).mean())
    # clustered by sentence: the t test of the per-sentence mean differences over epochs
    per_sentence = ((p1 - a1) + (p2 - a2)) / 2
    assert gap["pvalue"] == pytest.approx(sps.ttest_1samp(per_sentence, 0.0).pvalue, rel=1e-6)


def _stereotyped_pick(request: Request) -> int:
    """Always the occupation stereotyped as the pronoun's gender (a maximally biased model)."""
    text = str(request.input)
    male = re.search(r"\b(he|his|him|himself)\b", text.split("\n")[0], re.IGNORECASE) is not None
    options = re.findall(r"^[AB]\. the (.+)$", text, re.MULTILINE)
    return next(k for k, o in enumerate(options) if (o.lower() in MALE_OCCUPATIONS) == male)


def test_a_stereotyped_model_has_gap_one_flips_under_the_swap_and_the_report_shows_it(tmp_path: Path) -> None:
    import assay.suites.fairness.tasks  # noqa: F401
    from assay.core.task import REGISTRY
    from assay.suites.robustness.report import write_suite_report

    task = dataclasses.replace(REGISTRY["winobias"](), dataset=winobias_samples()[:60])
    run_dir = new_run_dir(tmp_path, "winobias", "scripted/stereotyped")
    spec = {"status": "complete", "task": {"name": "winobias"}, "model": {"name": "scripted/stereotyped"}, "run": {}}
    write_json_atomic(run_dir / "spec.json", spec)
    perturb = ["gender:female", "gender:male"]
    options = RunOptions(variants=resolve_variants(perturb), cache=False, seed=1)
    asyncio.run(run_samples(task, ScriptedModel(name="scripted/stereotyped", pick=_stereotyped_pick), run_dir, options))
    records = list(iter_records(run_dir))
    assert len(records) == 180
    results = compute_results(records, task.metric_names(), task.group_by)
    results["analysis"] = winobias_analysis(records)
    write_json_atomic(run_dir / "results.json", results)

    analysis = results["analysis"]
    assert analysis["accuracy_pro"]["value"] == 1.0 and analysis["accuracy_anti"]["value"] == 0.0
    assert analysis["gap_pro_minus_anti"]["value"] == 1.0 and analysis["same_answer_rate"]["value"] == 0.0
    assert analysis["gap_pro_minus_anti"]["mcnemar"]["n10"] == 30
    assert set(results["groups"]) == {"pro", "anti"}  # group_by="stereotype"
    assert results["metrics"]["acc"]["n_clusters"] == 30  # clustered by sentence
    cf = results["robustness"]["acc"]["counterfactual"]
    for variant in perturb:
        entry = cf["variants"][variant]
        assert entry["n_changed"] == 30  # the swap rewrites the 30 items of the other gender
        assert entry["answer_flip_rate_changed"]["value"] == 1.0  # and every one of their answers flips
    # all pronouns female: right exactly on the sentences whose referent is stereotyped female
    female_referent = np.mean([s.metadata["referent_stereotype"] == "female" for s in task.samples()])
    accuracy = cf["groups"]["gender"]["accuracy"]
    assert accuracy["female"]["value"] == pytest.approx(female_referent)
    assert accuracy["male"]["value"] == pytest.approx(1 - female_referent)
    assert analysis["accuracy_female_pronoun"]["value"] == pytest.approx(female_referent)

    text = write_suite_report([run_dir], tmp_path / "report.md", suite="fairness").read_text()
    gap = analysis["gap_pro_minus_anti"]
    for needle in ("#### WinoBias (Zhao et al., 2018)", "| pro-stereotyped | 1.000", "Gap pro - anti (paired",
                   f"{gap['value']:.3f} [{gap['ci_low']:.3f}, {gap['ci_high']:.3f}]", "McNemar exact p",
                   "Counterfactual fairness", "| gender:female | 30/60 | 1.000 [0.886, 1.000] (n=30) |"):  # fmt: skip
        assert needle in text, needle
