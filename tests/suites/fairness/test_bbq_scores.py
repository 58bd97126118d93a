"""BBQ: the bundled slice, and the paper's bias scores on hand-counted outputs."""

from importlib import resources
from typing import Any

import pytest
from tests.suites.fairness.bbq_records import bbq_record

from assay.suites.fairness.bbq import BBQ_CATEGORIES, BBQ_INTERSECTIONAL, bbq_analysis, bbq_samples, bias_scores


def test_slice_is_complete_sets_with_one_target_one_unknown_and_its_licence() -> None:
    samples = bbq_samples()
    assert len(samples) == 768 and {s.metadata["category"] for s in samples} == {*BBQ_CATEGORIES, *BBQ_INTERSECTIONAL}
    # the nine single-attribute categories first (64 items each, as before), the intersectional ones after
    assert {s.metadata["category"] for s in samples[:576]} == set(BBQ_CATEGORIES)
    assert [sum(s.metadata["category"] == c for s in samples) for c in BBQ_CATEGORIES] == [64] * 9
    sets: dict[str, list[Any]] = {}
    for s in samples:
        roles = s.metadata["answer_roles"]
        assert sorted(roles) == ["non_target", "target", "unknown"]
        correct = roles[s.target_index()]
        # ambiguous contexts are answered "unknown"; disambiguated ones name a person
        assert (correct == "unknown") == (s.metadata["context_condition"] == "ambig")
        sets.setdefault(s.metadata["set_id"], []).append(s)
    assert all(len(v) == 4 for v in sets.values())
    assert len({s.metadata["category"] for s in samples[:30]}) >= 7  # interleaved for small --limit
    folder = resources.files("assay.suites.fairness").joinpath("data")
    assert "CC BY 4.0" in folder.joinpath("LICENSE").read_text()
    assert "Parrish" in folder.joinpath("README.md").read_text()


def test_bias_scores_follow_the_paper_definition() -> None:
    # disambiguated: 4 non-unknown answers, 3 biased (neg->target, neg->target, nonneg->non_target) -> 2*3/4-1
    # ambiguous: 4 outputs, 1 correct (unknown); of 3 non-unknown, 2 biased -> (1 - 1/4) * (2*2/3 - 1)
    condition = ["disambig"] * 5 + ["ambig"] * 4
    polarity = ["neg", "neg", "nonneg", "nonneg", "neg", "neg", "nonneg", "neg", "neg"]
    role = ["target", "target", "non_target", "target", "unknown", "target", "non_target", "non_target", "unknown"]
    correct = [True, False, True, False, False, False, False, False, True]
    out = bias_scores(condition, polarity, role, correct)
    assert out["s_dis"] == pytest.approx(2 * 3 / 4 - 1)
    assert out["s_amb"] == pytest.approx((1 - 1 / 4) * (2 * 2 / 3 - 1))
    assert out["accuracy_ambig"] == pytest.approx(0.25) and out["accuracy_disambig"] == pytest.approx(0.4)


def test_bias_score_is_undefined_without_non_unknown_answers() -> None:
    out = bias_scores(["ambig", "ambig"], ["neg", "nonneg"], ["unknown", "unknown"], [True, True])
    assert out["s_amb"] != out["s_amb"]  # NaN: no answer named anyone


def _records(pick: str) -> list[dict[str, Any]]:
    rows = []
    for s in bbq_samples()[:80]:
        if pick == "stereotype":
            want = "target" if s.metadata["question_polarity"] == "neg" else "non_target"
        elif pick == "anti":
            want = "non_target" if s.metadata["question_polarity"] == "neg" else "target"
        else:
            want = "unknown"
        rows.append(bbq_record(s, want))
    return rows


def test_analysis_of_a_fully_stereotyped_an_anti_and_an_unknown_model() -> None:
    stereo = bbq_analysis(_records("stereotype"), n_resamples=300)["overall"]
    assert stereo["bias_score_disambig"]["value"] == 1.0 and stereo["bias_score_ambig"]["value"] == 1.0
    assert stereo["accuracy_ambig"]["value"] == 0.0
    anti = bbq_analysis(_records("anti"), n_resamples=300)["overall"]
    assert anti["bias_score_disambig"]["value"] == -1.0 and anti["bias_score_ambig"]["value"] == -1.0
    unknown = bbq_analysis(_records("unknown"), n_resamples=300)
    assert unknown["overall"]["accuracy_ambig"]["value"] == 1.0 and unknown["overall"]["answered_unknown"] == 1.0
    assert set(unknown["categories"]) <= set(BBQ_CATEGORIES) and len(unknown["categories"]) == 9


def test_bias_score_interval_is_a_seeded_cluster_bootstrap() -> None:
    rows = _records("stereotype")
    for r in rows[::3]:  # make some answers unknown so the score varies across resamples
        r["answer"] = "ABC"[r["metadata"]["answer_roles"].index("unknown")]
    a = bbq_analysis(rows, n_resamples=400, seed=3)["overall"]["bias_score_ambig"]
    b = bbq_analysis(rows, n_resamples=400, seed=3)["overall"]["bias_score_ambig"]
    assert a == b and a["method"] == "cluster_bootstrap_percentile" and a["n_clusters"] == 20
    assert a["ci_low"] < a["value"] < a["ci_high"]


def test_only_clean_records_and_valid_answers_count() -> None:
    rows = _records("stereotype")
    noisy = [{**r, "variant": "typo", "answer": "ABC"[r["metadata"]["answer_roles"].index("unknown")]} for r in rows]
    assert bbq_analysis(rows + noisy, n_resamples=200)["overall"]["bias_score_disambig"]["value"] == 1.0
    rows[0]["answer"] = None
    assert bbq_analysis(rows, n_resamples=200)["overall"]["n_invalid"] == 1


def test_bbq_task_is_registered_with_its_analysis() -> None:
    from assay.core.task import REGISTRY
    from assay.suites.fairness import tasks  # noqa: F401

    t = REGISTRY["bbq"](categories="Age,SES")
    assert t.analysis is bbq_analysis and {s.metadata["category"] for s in t.samples()} == {"Age", "SES"}
    assert REGISTRY["bbq"](mode="generate").scorer.request_kind == "generate"


def test_fairness_suite_swaps_names_on_bbq_and_the_bias_scores_use_clean_items_only() -> None:
    import random

    from assay.perturb import get_perturbation
    from assay.suites.robustness import SUITES

    entry = next(e for e in SUITES["fairness"] if e.task == "bbq")
    assert set(entry.perturb) == {"names:black", "names:white"}
    samples = bbq_samples()
    for name in entry.perturb:
        swap = get_perturbation(name)
        changed = [(s, t) for s in samples if (t := swap(s, random.Random(0))).metadata["perturbation"]["changed"]]
        assert len(changed) >= 60
        for s, t in changed:  # an option naming a person of the text names the same person after the swap
            assert t.target == s.target and t.choices is not None and s.choices is not None
            assert all(b in str(t.input) for a, b in zip(s.choices, t.choices, strict=True) if a in str(s.input))
    clean = _records("stereotype")
    variant = [{**r, "variant": "names:black", "answer": "C"} for r in clean]
    assert bbq_analysis(clean + variant, n_resamples=100) == bbq_analysis(clean, n_resamples=100)
