"""Suite reports: one Markdown file listing every headline number of a suite's runs with its interval.

`write_suite_report(runs, path)` reads finished run directories (`Run` objects) and writes, per run,
the headline numbers (from `results.json`: metrics and the task's analysis), what each number was
validated against, and, where a classifier or judge made the labels, its agreement with humans.
Calibration runs get a text reliability diagram. The numbers are the ones in each `results.json`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.core.run import Run

__all__ = ["JUDGE_VALIDATION", "SUITES", "VALIDATED_AGAINST", "suite_report", "write_suite_report"]

SUITES: dict[str, list[str]] = {
    "safety": ["xstest", "harmful", "jailbreak"],
    "alignment": ["truthfulqa_mc", "sycophancy", "calibration"],
}
"""Tasks each `assay run <suite>` runs, in order."""

JUDGE_VALIDATION: dict[str, list[str]] = {"safety": ["xstest_validation"]}
"""Tasks a suite adds when it runs with a judge: they score the judge against human labels."""

VALIDATED_AGAINST: dict[str, str] = {
    "xstest": "XSTest human labels (Röttger et al. 2024): the classifier's or judge's agreement is below",
    "xstest_validation": "XSTest v2 human labels of shipped model completions",
    "harmful": "HarmBench standard behaviours; labels from the refusal classifier or StrongREJECT judge (below)",
    "jailbreak": "paired against the same prompts unattacked (McNemar exact test)",
    "truthfulqa_mc": "TruthfulQA reference true/false answers (BIG-bench multiple-choice form)",
    "sycophancy": "the base task's answer key; first vs final answer paired per question (McNemar)",
    "calibration": "the base task's answer key (correctness of the most likely choice)",
}


def _fmt(e: dict[str, Any] | None) -> str:
    if not e:
        return "n/a"
    lo, hi = e.get("ci_low"), e.get("ci_high")
    ci = f"[{lo:.3f}, {hi:.3f}]" if isinstance(lo, float) and isinstance(hi, float) else "[n/a]"
    size = f"n={e.get('n')}" + (f", {e['n_clusters']} clusters" if e.get("n_clusters") else "")
    return f"{e['value']:.3f} {ci} ({size}; {e.get('method')})"


def _agreement_lines(v: dict[str, Any] | None) -> list[str]:
    if not v or not v.get("accuracy"):
        return [
            "- classifier agreement with humans: not measured for this classifier "
            "(run `xstest_validation` with the same judge)"
        ]
    where = v.get("validated_on") or ", ".join(v.get("sources", []))
    lines = [
        f"- classifier: {v.get('classifier', 'string-match')}; validated on {where} ({v.get('n')} completions)",
        f"  - three-way accuracy {_fmt(v['accuracy'])}, Cohen's kappa {_fmt(v['kappa'])}",
        f"  - refused-vs-complied accuracy {_fmt(v['binary_accuracy'])}, kappa {_fmt(v['binary_kappa'])}",
    ]
    per_source: dict[str, dict[str, Any]] = v.get("per_source") or {}
    if len(per_source) > 1:
        lines += [
            f"  - {source}: three-way {_fmt(a['accuracy'])}, refused-vs-complied {_fmt(a['binary_accuracy'])}"
            for source, a in per_source.items()
        ]
    confusion: dict[str, dict[str, int]] = v.get("confusion") or {}
    if confusion:
        labels = list(confusion)
        lines += ["", "  | human \\ classified | " + " | ".join(labels) + " |", "  |" + "---|" * (len(labels) + 1)]
        lines += [f"  | {h} | " + " | ".join(str(confusion[h].get(p, 0)) for p in labels) + " |" for h in labels]
    return lines


def _reliability_chart(bins: list[dict[str, Any]]) -> list[str]:
    lines = ["```", "confidence bin   n    mean conf  accuracy  (# = accuracy, | = perfect calibration)"]
    for b in bins:
        label = f"({b['low']:.1f}, {b['high']:.1f}]"
        if not b["n"]:
            lines.append(f"{label:14s} {0:4d}")
            continue
        acc = b["accuracy"]["value"]
        bar = ["#" if i < round(acc * 40) else " " for i in range(41)]
        bar[min(40, round(b["confidence"] * 40))] = "|"
        lines.append(f"{label:14s} {b['n']:4d}   {b['confidence']:.3f}    {acc:.3f}   {''.join(bar)}")
    return [*lines, "```"]


def _analysis_lines(task: str, a: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if task == "xstest":
        out += [
            f"- over-refusal on safe prompts (refused, full or partial): {_fmt(a.get('over_refusal'))}",
            f"- full refusal on safe prompts: {_fmt(a.get('over_refusal_full'))}",
            f"- compliance with unsafe prompts: {_fmt(a.get('unsafe_compliance'))}",
            "- intervals clustered by prompt type",
            "",
            "| type | n | refused | complied |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {t} | {v['n']} | {_fmt(v.get('refused'))} | {_fmt(v.get('complied'))} |"
            for t, v in a.get("per_type", {}).items()
        ]
        out += ["", *_agreement_lines(a.get("classifier_validation"))]
    elif task == "harmful":
        out += [f"- {m}: {_fmt(a.get(m))}" for m in ("complied", "refused", "strongreject") if m in a]
        if "classifier_validation" in a:
            out += _agreement_lines(a["classifier_validation"])
        else:
            out.append(f"- classifier: {a.get('classifier')}")
    elif task == "jailbreak":
        out += [
            f"- attack success metric: {a.get('metric')}",
            "",
            "| template | attack success | vs none: difference | McNemar p |",
            "|---|---|---|---|",
        ]
        for name, v in a.get("per_template", {}).items():
            vs = v.get("vs_none") or {}
            p = vs.get("mcnemar_pvalue", vs.get("pvalue"))
            out.append(
                f"| {name} | {_fmt(v.get('attack_success'))} | {_fmt(vs.get('difference'))} | "
                f"{'' if p is None else f'{p:.4f}'} |"
            )
        out += ["", _worst_template_line(a), f"- broken by at least one template: {_fmt(a.get('any_template'))}"]
    elif task == "sycophancy":
        out += [
            f"- flip rate of initially correct answers: {_fmt(a.get('flip_rate'))}",
            f"- accuracy first {_fmt(a.get('first_accuracy'))}, after pushback {_fmt(a.get('final_accuracy'))}",
        ]
        paired = a.get("first_vs_final") or {}
        if paired:
            out.append(
                f"- first vs final (paired): difference {_fmt(paired.get('difference'))}, "
                f"McNemar p = {paired['mcnemar_pvalue']:.4f}"
            )
    elif task == "calibration":
        if a.get("n_unreadable"):
            out.append(f"- samples without choice probabilities (left out): {a['n_unreadable']}")
        out += [
            f"- expected calibration error: {_fmt(a.get('ece'))}",
            *_calibration_test_line(a.get("calibration_test")),
            f"- Brier score: {_fmt(a.get('brier'))}",
            f"- multiclass Brier score: {_fmt(a.get('brier_multiclass'))}",
            "",
            "Reliability diagram:",
            "",
        ]
        out += _reliability_chart(a.get("reliability", []))
    elif task == "xstest_validation" and a.get("n"):
        out += _agreement_lines({**a, "classifier": "this run's classifier/judge", "validated_on": "human labels"})
    return out


def _calibration_test_line(test: dict[str, Any] | None) -> list[str]:
    if not test:
        return []
    return [
        f"- a calibrated model would show ECE {test['null_mean']:.3f} from noise alone (95% of draws below "
        f"{test['null_high']:.3f}); test of perfect calibration (consistency resampling, Broecker & Smith "
        f"2007): p = {test['pvalue']:.4f}"
    ]


def _judge_key(scorer: dict[str, Any]) -> tuple[str, str]:
    return str(scorer.get("judge")), str(scorer.get("rubric_version"))


def _judge_validations(runs: Sequence[Run]) -> dict[tuple[str, str], dict[str, Any]]:
    """Agreement with human labels of each judge (and rubric) that an `xstest_validation` run measured."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for run in runs:
        scorer = run.spec["task"].get("scorer", {})
        analysis = (run.raw_results or {}).get("analysis") or {}
        if run.spec["task"]["name"] == "xstest_validation" and scorer.get("judge") and analysis.get("n"):
            judge, rubric = _judge_key(scorer)
            found[(judge, rubric)] = {
                **analysis,
                "classifier": f"judge {judge} (rubric {rubric})",
                "validated_on": f"XSTest human labels (run `{run.path.name}`)",
            }
    return found


def suite_report(runs: Sequence[Run], title: str = "assay suite report") -> str:
    """The Markdown text of the report (see `write_suite_report`).

    A judged xstest run shows the judge's agreement with humans from the suite's `xstest_validation` run
    of the same judge and rubric, where there is one.
    """
    lines = [f"# {title}", ""]
    validations = _judge_validations(runs)
    for run in runs:
        raw = run.raw_results or {}
        task = str(run.spec["task"]["name"])
        scorer = run.spec["task"].get("scorer", {})
        analysis = dict(raw.get("analysis") or {})
        if task == "xstest" and _judge_key(scorer) in validations:
            analysis["classifier_validation"] = validations[_judge_key(scorer)]
        lines += [
            f"## {task} · {run.model}",
            "",
            f"- run directory: `{run.path}` (status {run.status})",
            f"- validated against: {VALIDATED_AGAINST.get(task, 'the task reference answers')}",
        ]
        if scorer.get("rubric_version"):
            lines.append(
                f"- judge: {scorer.get('judge')}, rubric {scorer['rubric_version']} "
                f"(sha256 {str(scorer.get('rubric_sha256'))[:12]})"
            )
        lines += ["", "| metric | estimate [95% CI] |", "|---|---|"]
        lines += [f"| {m} | {_fmt(e)} |" for m, e in raw.get("metrics", {}).items()]
        lines.append("")
        lines += _analysis_lines(task, analysis)
        lines.append("")
    return "\n".join(lines)


def write_suite_report(
    runs: Sequence[Run], path: str | Path, title: str = "assay suite report", extra: Sequence[str] = ()
) -> Path:
    """Write the suite's Markdown report to `path` (a file, or a folder to hold `report.md`), with the
    Markdown lines `extra` at the end; returns the file."""
    target = Path(path)
    if target.is_dir() or target.suffix == "":
        target = target / "report.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(suite_report(runs, title) + "".join(f"{line}\n" for line in extra), encoding="utf-8")
    tmp.replace(target)  # never leave half a report behind
    return target


def _worst_template_line(a: dict[str, Any]) -> str:
    own = _fmt((a.get("worst_case") or {}).get("attack_success"))
    if a.get("worst_rate") is not None:
        return (
            f"- worst template: {a['worst_template']}: {_fmt(a['worst_rate'])} on the {a['complete_prompts']} "
            "prompts that ran under every template, with an interval simultaneous over the templates, since the "
            f"worst is picked after the fact (the template's own interval, which ignores the pick: {own})"
        )
    if a.get("worst_template") is None:
        return "- worst template: none, since no attack template ran (only the unattacked prompts)"
    templates = a.get("n_templates") or len(a.get("per_template", {}))
    return (
        f"- worst template: {a.get('worst_template')}, by its own rate {own}; no interval simultaneous over the "
        f"templates, because only {a.get('complete_prompts', 0)} prompt(s) ran under every template and it needs "
        f"2 (each prompt runs {templates} times, once per template with 'none': use --limit {2 * templates} or more)"
    )
