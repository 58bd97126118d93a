"""One Markdown report for a suite's runs: every headline number with its interval and what it was
validated against. The same numbers are in each run's `results.json`; sections missing there
("robustness") are computed from the run's `samples.jsonl` with the same functions, so the report never
disagrees with what a user recomputes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["VALIDATION", "suite_sections", "write_suite_report"]

# What each kind of headline number was checked against (tests in tests/perturb and tests/suites/*).
VALIDATION: dict[str, str] = {
    "metric": "mean with a Wilson interval (0/1 scores; with clusters on the design-effect effective sample size, "
    "Korn & Graubard 1998) or a clustered t interval, from assay.stats (tested against statsmodels)",
    "drop": "clean - perturbed, paired (assay.stats.paired_difference): Bonett-Price interval for 0/1 scores, "
    "t interval otherwise (tested against scipy ttest_rel); two-sided p-value of the test each interval "
    "inverts (Bonett-Price z, or paired t)",
    "consistency": "share of samples with unchanged score; Wilson interval; checked on hand-counted records",
    "worst_case": "HELM worst case (correct under the clean prompt and every perturbation); checked on "
    "hand-counted records",
    "pdr": "PDR = 1 - perturbed/clean (PromptBench); paired percentile bootstrap over samples, seeded",
    "format_spread": "max - min accuracy over prompt formats (FormatSpread); simultaneous max-t intervals for "
    "every pair of formats from one paired bootstrap, seeded (assay.stats.gaps; covers a spread of 0 at the "
    "nominal rate in simulation)",
    "bias_score": "BBQ bias scores exactly as defined by Parrish et al. (2022) §4; checked on hand-counted "
    "outputs; cluster bootstrap over BBQ example sets",
    "bbq_accuracy": "accuracy clustered by BBQ example set (assay.stats.mean_estimate)",
    "winobias_gap": "WinoBias pro - anti accuracy as a paired difference over sentences (assay.stats."
    "paired_difference: Bonett-Price interval and the z-test it inverts, checked by hand; "
    "McNemar exact test, tested against statsmodels); "
    "checked on hand-counted outputs",
    "winobias_accuracy": "pro, anti and per-pronoun accuracy with Wilson intervals (clustered by sentence with "
    "several epochs); all items together clustered by sentence (assay.stats.mean_estimate)",
    "flip_rate": "share of samples whose answer changes under the swap, Wilson interval; McNemar exact test "
    "(assay.stats.mcnemar, tested against statsmodels)",
    "parity": "accuracy parity difference/ratio across substituted groups (assay.stats fairness metrics: "
    "stratified bootstrap, simultaneous max-t intervals for every pair of groups, checked by simulation "
    "coverage and against statsmodels' Wald interval for two groups), plus a paired bootstrap of the max gap",
}


def _fmt(e: dict[str, Any] | None) -> str:
    if not e or "value" not in e:
        return "n/a"
    v, lo, hi = e.get("value"), e.get("ci_low"), e.get("ci_high")
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "undefined"
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return f"{v:.3f} (no interval, n={e.get('n')})"
    return f"{v:.3f} [{lo:.3f}, {hi:.3f}] (n={e.get('n')})"


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _run_parts(run: Any) -> tuple[str, str, Path, dict[str, Any], list[dict[str, Any]]]:
    from assay.core.run import Run

    r = run if isinstance(run, Run) else Run(run)
    return r.task, r.model, r.path, r.raw_results or {}, list(r.records())


def suite_sections(run: Any) -> dict[str, Any]:
    """The numbers the report prints for one run: metrics, robustness (per metric), analysis."""
    task, model, path, results, records = _run_parts(run)
    robustness = dict(results.get("robustness") or {})
    if not robustness and any(r.get("variant") for r in records):
        from assay.perturb.metrics import robustness_results

        for metric in results.get("metrics", {}):
            robustness[metric] = robustness_results(records, metric)
    return {
        "task": task,
        "model": model,
        "path": str(path),
        "metrics": results.get("metrics", {}),
        "robustness": robustness,
        "analysis": results.get("analysis") or {},
    }


def _robustness_lines(metric: str, rob: dict[str, Any]) -> list[str]:
    lines = [f"#### Robustness of `{metric}` (n = {rob.get('n_samples')} paired samples)", ""]
    lines += ["| variant | kind | score [95% CI] | drop vs clean [CI] | p | consistency | PDR [CI] |", "|---" * 7 + "|"]
    lines.append(f"| clean | - | {_fmt(rob.get('clean'))} | - | - | - | - |")
    for name, e in (rob.get("perturbations") or {}).items():
        lines.append(
            f"| {name} | {e.get('kind')} | {_fmt(e.get('score'))} | {_fmt(e.get('drop'))} | {_p(e.get('pvalue'))} "
            f"| {_fmt(e.get('consistency'))} | {_fmt(e.get('pdr'))} |"
        )
    lines.append("")
    if "worst_case" in rob:
        lines.append(f"- Worst case over perturbations (HELM): {_fmt(rob['worst_case'])} — {VALIDATION['worst_case']}")
        consistency = _fmt(rob.get("consistency"))
        lines.append(f"- Consistency over all perturbations: {consistency} — {VALIDATION['consistency']}")
    if "format_spread" in rob:
        fs = rob["format_spread"]
        lines.append(
            f"- Format spread (best {fs['best']}, worst {fs['worst']}): {_fmt(fs['spread'])} — "
            f"{VALIDATION['format_spread']}"
        )
    lines.append(f"- Drops: {VALIDATION['drop']}. PDR: {VALIDATION['pdr']}.")
    cf = rob.get("counterfactual")
    if cf:
        lines += ["", f"#### Counterfactual fairness of `{metric}`", ""]
        lines += [
            "| variant | samples changed | answer flip rate, changed samples [CI] | answer flip rate, all [CI] "
            "| McNemar p |",
            "|---|---|---|---|---|",
        ]
        for name, e in cf.get("variants", {}).items():
            lines.append(
                f"| {name} | {e['n_changed']}/{e['n_pairs']} | {_fmt(e.get('answer_flip_rate_changed'))} "
                f"| {_fmt(e['answer_flip_rate'])} | {_p((e.get('mcnemar') or {}).get('pvalue'))} |"
            )
        for attribute, g in cf.get("groups", {}).items():
            accs = ", ".join(f"{k}: {_fmt(v)}" for k, v in g["accuracy"].items())
            lines.append(f"- {attribute}: accuracy by group {accs}")
            if "parity_difference" in g:
                lines.append(
                    f"  - accuracy parity difference {_fmt(g['parity_difference'])}, ratio "
                    f"{_fmt(g.get('parity_ratio'))}, paired max gap {_fmt(g.get('paired_max_gap'))}"
                )
        lines.append(f"- Flip rates: {VALIDATION['flip_rate']}. Parity: {VALIDATION['parity']}.")
    return [*lines, ""]


def _bbq_lines(analysis: dict[str, Any]) -> list[str]:
    lines = ["#### BBQ (Parrish et al., 2022)", "", f"Definition: {analysis.get('definition', '')}", ""]
    header = "| category | n | acc. ambiguous | acc. disambiguated | bias score ambiguous | bias score disambiguated |"
    lines += [header, "|---" * 6 + "|"]
    rows = [("overall", analysis["overall"]), *analysis.get("categories", {}).items()]
    for name, s in rows:
        lines.append(
            f"| {name} | {s['n']} | {_fmt(s['accuracy_ambig'])} | {_fmt(s['accuracy_disambig'])} "
            f"| {_fmt(s['bias_score_ambig'])} | {_fmt(s['bias_score_disambig'])} |"
        )
    lines += ["", f"- Bias scores: {VALIDATION['bias_score']}. Accuracy: {VALIDATION['bbq_accuracy']}.", ""]
    return lines


def _winobias_lines(analysis: dict[str, Any]) -> list[str]:
    lines = ["#### WinoBias (Zhao et al., 2018)", "", f"Definition: {analysis.get('definition', '')}", ""]
    lines += [
        f"- Sentences with both versions answered: {analysis['n_pairs']} (unpaired items left out: "
        f"{analysis.get('n_unpaired', 0)}; answers with no option: {analysis.get('n_invalid', 0)})"
    ]
    if "gap_pro_minus_anti" not in analysis:
        return [*lines, ""]
    gap, gender_gap = analysis["gap_pro_minus_anti"], analysis["gap_male_minus_female"]
    lines += ["", "| | accuracy [95% CI] |", "|---|---|"]
    for label, key in (
        ("all items", "accuracy"),
        ("pro-stereotyped", "accuracy_pro"),
        ("anti-stereotyped", "accuracy_anti"),
        ("male pronoun", "accuracy_male_pronoun"),
        ("female pronoun", "accuracy_female_pronoun"),
        ("same answer in both versions", "same_answer_rate"),
    ):
        lines.append(f"| {label} | {_fmt(analysis.get(key))} |")
    mcnemar = gap.get("mcnemar") or {}
    lines += [
        "",
        f"- Gap pro - anti (paired over sentences): {_fmt(gap)}, p = {_p(gap.get('pvalue'))}"
        + (
            f"; McNemar exact p = {_p(mcnemar.get('pvalue'))} (right only in pro: {mcnemar.get('n10')}, "
            f"only in anti: {mcnemar.get('n01')})"
            if mcnemar
            else ""
        ),
        f"- Gap male - female pronoun (paired): {_fmt(gender_gap)}, p = {_p(gender_gap.get('pvalue'))}",
        f"- Gap: {VALIDATION['winobias_gap']}. Accuracy: {VALIDATION['winobias_accuracy']}.",
        "",
    ]
    return lines


def write_suite_report(
    runs: Sequence[Any], path: str | Path, *, suite: str | None = None, extra: Sequence[str] = ()
) -> Path:
    """Write the Markdown report of a suite's runs (`Run` objects or run directories) to `path`, with the
    Markdown lines `extra` at the end.

    Every headline number is printed as value [95% CI] (n) with what it was validated against; the numbers
    come from each run's results.json (robustness sections are computed from samples.jsonl if absent).
    Returns the path written.
    """
    out = Path(path)
    title = f"# assay {suite} suite report" if suite else "# assay suite report"
    lines = [title, ""]
    for run in runs:
        s = suite_sections(run)
        lines += [f"## {s['task']} · {s['model']}", "", f"Run directory: `{s['path']}`", ""]
        for metric, e in s["metrics"].items():
            lines.append(f"- `{metric}` (clean): {_fmt(e)} — {VALIDATION['metric']}")
        lines.append("")
        for metric, rob in s["robustness"].items():
            if rob:
                lines += _robustness_lines(metric, rob)
        if "overall" in s["analysis"] and "categories" in s["analysis"]:
            lines += _bbq_lines(s["analysis"])
        elif "n_pairs" in s["analysis"] and "n_unpaired" in s["analysis"]:
            lines += _winobias_lines(s["analysis"])
    lines += ["", *extra]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    tmp.replace(out)  # no half-written report is ever left at `path`
    return out
