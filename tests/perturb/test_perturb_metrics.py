"""robustness_results and counterfactual_results on hand-counted records."""

from typing import Any

import numpy as np
import pytest

from assay.perturb.fairness_metrics import counterfactual_results
from assay.perturb.metrics import robustness_results
from assay.stats import mcnemar, paired_difference


def recs(table: dict[str, list[float]], kinds: dict[str, str] | None = None, **extra: Any) -> list[dict[str, Any]]:
    out = []
    for variant, values in table.items():
        for i, v in enumerate(values):
            r: dict[str, Any] = {"sample_id": f"s{i}", "epoch": 1, "variant": variant, "scores": {"acc": v}}
            if variant:
                r["metadata"] = {"perturbation": {"name": variant, "kind": (kinds or {}).get(variant), "changed": True}}
            for key, by_variant in extra.items():
                r[key] = by_variant[variant][i]
            out.append(r)
    return out


CLEAN = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0.0]
TYPO = [1, 1, 1, 0, 0, 1, 0, 0, 1, 0.0]
SHUF = [1, 1, 0, 1, 1, 1, 0, 0, 0, 0.0]


def test_drop_consistency_worst_case_and_pdr_match_hand_counts() -> None:
    out = robustness_results(recs({"": CLEAN, "typo": TYPO, "shuffle_choices": SHUF}), "acc", n_resamples=500)
    typo = out["perturbations"]["typo"]
    ref = paired_difference(CLEAN, TYPO)
    assert typo["drop"]["value"] == pytest.approx(0.1) == pytest.approx(ref.difference.value)
    assert typo["drop"]["ci_low"] == pytest.approx(ref.difference.ci_low)
    assert typo["pvalue"] == pytest.approx(ref.pvalue)
    assert typo["mcnemar_pvalue"] == pytest.approx(mcnemar(CLEAN, TYPO).pvalue)
    assert typo["consistency"]["value"] == pytest.approx(0.7)  # samples 3, 4, 8 changed
    assert typo["pdr"]["value"] == pytest.approx(1 - 0.5 / 0.6)
    assert typo["pdr"]["ci_low"] < typo["pdr"]["value"] < typo["pdr"]["ci_high"]
    # worst case: correct in clean and under both perturbations -> samples 0, 1, 5
    assert out["worst_case"]["value"] == pytest.approx(0.3) and out["worst_case"]["n"] == 10
    assert out["consistency"]["value"] == pytest.approx(0.6)  # 2, 3, 4, 8 differ somewhere
    assert out["clean"]["value"] == pytest.approx(0.6)


def test_format_spread_is_max_minus_min_with_a_paired_bootstrap() -> None:
    kinds = {"format:1": "format", "format:2": "format"}
    table = {"": CLEAN, "format:1": TYPO, "format:2": [1.0] * 8 + [0.0, 0.0]}
    out = robustness_results(recs(table, kinds), "acc", n_resamples=1000, seed=1)
    fs = out["format_spread"]
    assert fs["formats"] == {"default": 0.6, "format:1": 0.5, "format:2": 0.8}
    assert fs["spread"]["value"] == pytest.approx(0.3) and fs["best"] == "format:2" and fs["worst"] == "format:1"
    assert 0 <= fs["spread"]["ci_low"] <= fs["spread"]["ci_high"]
    again = robustness_results(recs(table, kinds), "acc", n_resamples=1000, seed=1)
    assert again["format_spread"] == fs  # seeded


def test_epochs_are_averaged_and_clusters_used_for_the_drop() -> None:
    records = recs({"": CLEAN, "typo": TYPO})
    for r in records:
        r["cluster"] = "a" if int(r["sample_id"][1:]) < 5 else "b"
    records += [{**r, "epoch": 2} for r in records]
    out = robustness_results(records, "acc", n_resamples=200)
    assert out["n_samples"] == 10 and out["perturbations"]["typo"]["drop"]["n_clusters"] == 2


def test_no_variants_gives_an_empty_section() -> None:
    assert robustness_results(recs({"": CLEAN}), "acc") == {}


def test_counterfactual_variants_are_reported_apart_from_the_worst_case() -> None:
    kinds = {"gender:female": "counterfactual", "gender:male": "counterfactual", "typo": "text"}
    female = [1, 1, 1, 1, 0, 1, 0, 0, 0, 0.0]
    male = CLEAN
    answers = {
        v: ["A" if x else "B" for x in vals]
        for v, vals in {"": CLEAN, "gender:female": female, "gender:male": male, "typo": TYPO}.items()
    }
    table = {"": CLEAN, "gender:female": female, "gender:male": male, "typo": TYPO}
    out = robustness_results(recs(table, kinds, answer=answers), "acc", n_resamples=300)
    assert out["worst_case"]["over"] == ["", "typo"]
    cf = out["counterfactual"]
    f = cf["variants"]["gender:female"]
    assert f["answer_flip_rate"]["value"] == pytest.approx(0.1) and f["n_changed"] == 10
    assert f["mcnemar"]["n10"] == 1 and f["mcnemar"]["n01"] == 0
    g = cf["groups"]["gender"]
    assert g["accuracy"]["female"]["value"] == pytest.approx(0.5)
    assert g["accuracy"]["male"]["value"] == pytest.approx(0.6)
    assert g["parity_difference"]["value"] == pytest.approx(0.1)
    assert g["parity_ratio"]["value"] == pytest.approx(0.5 / 0.6)
    assert g["paired_max_gap"]["value"] == pytest.approx(0.1)
    # paired: the groups differ on one sample only, so the paired gap's interval is narrower
    assert (g["paired_max_gap"]["ci_high"] - g["paired_max_gap"]["ci_low"]) < (
        g["parity_difference"]["ci_high"] - g["parity_difference"]["ci_low"]
    )


def test_flip_rate_among_changed_samples_uses_the_changed_flag() -> None:
    records = recs(
        {"": [1.0, 1.0, 0.0, 0.0], "swap_gender": [0.0, 1.0, 0.0, 0.0]},
        {"swap_gender": "counterfactual"},
        answer={"": ["A", "A", "B", "B"], "swap_gender": ["B", "A", "B", "B"]},
    )
    for r in records:
        if r["variant"] and r["sample_id"] in ("s2", "s3"):
            r["metadata"]["perturbation"]["changed"] = False
    out = counterfactual_results(records, "acc")
    v = out["variants"]["swap_gender"]
    assert v["answer_flip_rate"]["value"] == 0.25 and v["answer_flip_rate_changed"]["value"] == 0.5
    assert v["n_changed"] == 2 and np.isclose(v["correctness_flip_rate"]["value"], 0.25)
