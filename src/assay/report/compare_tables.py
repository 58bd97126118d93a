"""Render a `Comparison` as a terminal table, Markdown, LaTeX or JSON."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from assay.core.compare import Comparison, SubsetComparison


def _p(x: float | None) -> str:
    if x is None:
        return "-"
    return "<0.0001" if x < 1e-4 else f"{x:.4f}"


def _rows(c: Comparison) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    model_head = ["metric", "model", "value", "95% CI", "n", "group"]
    model_rows = [
        [m, lab, f"{e.value:.4f}", f"[{e.ci_low:.4f}, {e.ci_high:.4f}]", str(e.n), c.groups[m][lab]]
        for m, per in c.estimates.items()
        for lab, e in sorted(per.items(), key=lambda kv: -kv[1].value)
    ]
    pair_head = ["metric", "a - b", "difference", "95% CI", "p", f"p ({c.adjust})", "McNemar p", "corr", "var. red."]
    pair_rows = []
    for p in c.pairs:
        d = p.result.difference
        pair_rows.append(
            [
                p.metric,
                f"{p.a} - {p.b}",
                f"{d.value:+.4f}",
                f"[{d.ci_low:+.4f}, {d.ci_high:+.4f}]",
                _p(p.result.pvalue),
                _p(p.adjusted_pvalue),
                _p(p.mcnemar_pvalue),
                "-" if p.result.correlation is None else f"{p.result.correlation:.2f}",
                "-" if p.result.variance_reduction is None else f"{p.result.variance_reduction:.0%}",
            ]
        )
    return model_head, model_rows, pair_head, pair_rows


def _footer(c: Comparison) -> str:
    lines = [
        f"Paired by (sample id, epoch); p-values adjusted across all {len(c.pairs)} comparisons ({c.adjust}); "
        f"models sharing a group letter are not significantly different at alpha={c.alpha}. "
        "p is the test each interval inverts (Bonett-Price z for 0/1 scores, else paired t), so p < alpha "
        "exactly when the CI excludes 0; McNemar's exact test is beside it."
    ]
    lines += [f"warning: {w}" for w in c.warnings]
    return "\n".join(lines)


def comparison_text(c: Comparison) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=140, force_terminal=False)
    mh, mr, ph, pr = _rows(c)
    for title, head, rows in ((f"{c.task}: models", mh, mr), (f"{c.task}: paired differences", ph, pr)):
        table = Table(title=title, title_justify="left")
        for h in head:
            table.add_column(h, justify="left" if h in ("metric", "model", "a - b", "group") else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    return buffer.getvalue() + _footer(c)


def comparison_markdown(c: Comparison) -> str:
    mh, mr, ph, pr = _rows(c)
    out = []
    for head, rows in ((mh, mr), (ph, pr)):
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "|".join("---" for _ in head) + "|")
        out += ["| " + " | ".join(r) + " |" for r in rows]
        out.append("")
    return "\n".join(out) + _footer(c) + "\n"


def _tex(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"), ("<", r"$<$")):
        s = s.replace(a, b)
    return s


def comparison_latex(c: Comparison) -> str:
    mh, mr, ph, pr = _rows(c)
    out = []
    for head, rows in ((mh, mr), (ph, pr)):
        out.append(r"\begin{tabular}{" + "l" * 2 + "r" * (len(head) - 2) + "}")
        out.append(r"\toprule")
        out.append(" & ".join(_tex(h) for h in head) + r" \\")
        out.append(r"\midrule")
        out += [" & ".join(_tex(x) for x in r) + r" \\" for r in rows]
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}")
        out.append("")
    return "\n".join(out)


def comparison_json(c: Comparison) -> str:
    return json.dumps(c.to_dict(), indent=2)


RENDERERS = {
    "table": comparison_text,
    "markdown": comparison_markdown,
    "latex": comparison_latex,
    "json": comparison_json,
}


def subsets_text(c: SubsetComparison) -> str:
    table = Table(title=f"{c.task} · {c.model}: {c.label} vs other samples", title_justify="left")
    for h in ("metric", c.label, "other", "difference", "95% CI", "p (Welch)"):
        table.add_column(h, justify="left" if h == "metric" else "right")
    for metric, r in c.results.items():
        d = r.difference
        table.add_row(
            metric,
            f"{r.a.value:.4f} (n={r.a.n})",
            f"{r.b.value:.4f} (n={r.b.n})",
            f"{d.value:+.4f}",
            f"[{d.ci_low:+.4f}, {d.ci_high:+.4f}]",
            _p(r.pvalue),
        )
    buffer = io.StringIO()
    Console(file=buffer, width=140, force_terminal=False).print(table)
    return (
        buffer.getvalue()
        + "Different samples on each side: an unpaired (Welch) comparison, clustered where the task is."
    )
