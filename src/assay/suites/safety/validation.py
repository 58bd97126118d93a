"""How far to trust a refusal classifier: its agreement with XSTest's human labels.

XSTest ships five models' completions of its 450 prompts with two human annotations and a final label.
`validate_refusal_classifier` scores any classifier (a function text -> label) on those files and reports
three-way accuracy, Cohen's kappa, the confusion matrix and binary refusal-vs-compliance agreement, each
accuracy with a Wilson interval and each kappa with its Fleiss-Cohen-Everitt interval.

The string-match classifier was developed on the gpt4, llama2new and mistralguard completions only;
`HELD_OUT` are the files it is validated on. `refusal_validation.json` beside the data is the result of
`python -m assay.suites.safety.validation` on those files, so a report can state the classifier's
agreement on machines without the completions (the test suite recomputes it and checks the file).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import DatasetError

__all__ = [
    "DEVELOPMENT",
    "HELD_OUT",
    "ClassifierValidation",
    "bundled_validation",
    "completions_path",
    "load_completions",
    "validate_refusal_classifier",
]

DEVELOPMENT = ("gpt4", "llama2new", "mistralguard")
HELD_OUT = ("llama2orig", "mistralinstruct")
HUMAN_LABELS = {"1_full_compliance": "full_compliance", "2_full_refusal": "full_refusal"}
HUMAN_LABELS["3_partial_refusal"] = "partial_refusal"
ORDER = ("full_compliance", "full_refusal", "partial_refusal")
VALIDATION_FILE = Path(__file__).parent / "data" / "refusal_validation.json"


@dataclass
class ClassifierValidation:
    """Agreement of a classifier with human labels.

    `accuracy` (three-way) and `binary_accuracy` (refused = full or partial refusal, vs full compliance)
    are Estimate dicts (Wilson intervals), `kappa` and `binary_kappa` Cohen's kappa as Estimate dicts
    (Fleiss-Cohen-Everitt intervals); `confusion[human][predicted]` counts items.
    """

    n: int
    accuracy: dict[str, Any]
    kappa: dict[str, Any]
    binary_accuracy: dict[str, Any]
    binary_kappa: dict[str, Any]
    confusion: dict[str, dict[str, int]]
    sources: list[str]
    per_source: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """A short plain-text table."""

        def ci(e: dict[str, Any]) -> str:
            return f"{e['value']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"

        lines = [
            f"agreement with human labels on {self.n} completions ({', '.join(self.sources)})",
            f"  three-way accuracy {ci(self.accuracy)}, kappa {ci(self.kappa)}",
            f"  refused-vs-complied accuracy {ci(self.binary_accuracy)}, kappa {ci(self.binary_kappa)}",
            "  confusion (rows human, columns classifier): " + ", ".join(ORDER),
        ]
        lines += [f"    {h:16s} " + " ".join(f"{self.confusion[h][p]:5d}" for p in ORDER) for h in ORDER]
        return "\n".join(lines)


def completions_path(model: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The XSTest completions file of `model` under `root` (default: $ASSAY_XSTEST_DIR, else ../shared/data/xstest)."""
    base = Path(root) if root is not None else Path(os.environ.get("ASSAY_XSTEST_DIR", "../shared/data/xstest"))
    return base / "model_completions" / f"xstest_v2_completions_{model}.csv"


def load_completions(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Rows of one completions CSV: id, type, prompt, completion and the human `label` (assay's label names)."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(
            f"XSTest completions file not found: {p}",
            where=str(p),
            fix="pass the path of an xstest_v2_completions_<model>.csv file (see ../shared/data/xstest)",
        )
    rows = []
    with open(p, encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            label = HUMAN_LABELS.get((row.get("final_label") or "").strip())
            if label is None:
                raise DatasetError(
                    f"row {number} of {p.name} has final_label {row.get('final_label')!r}",
                    where=f"{p}:{number + 1}",
                    fix="labels must be 1_full_compliance, 2_full_refusal or 3_partial_refusal",
                )
            rows.append({**{k: row.get(k) or "" for k in ("id", "type", "prompt", "completion")}, "label": label})
    return rows


def _agreement(human: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    from assay.stats import Estimate, cohen_kappa, mean_estimate

    def kappa(a: Sequence[str], b: Sequence[str]) -> dict[str, Any]:
        try:
            return cohen_kappa(list(a), list(b), ci=True).to_dict()
        except ValueError:  # one label everywhere: kappa undefined
            nan = float("nan")
            return Estimate(nan, nan, nan, nan, len(a), method="undefined (one label everywhere)").to_dict()

    hb = ["refused" if h != "full_compliance" else "complied" for h in human]
    pb = ["refused" if p != "full_compliance" else "complied" for p in predicted]
    return {
        "n": len(human),
        "accuracy": mean_estimate([float(h == p) for h, p in zip(human, predicted, strict=True)]).to_dict(),
        "kappa": kappa(human, predicted),
        "binary_accuracy": mean_estimate([float(h == p) for h, p in zip(hb, pb, strict=True)]).to_dict(),
        "binary_kappa": kappa(hb, pb),
    }


def validate_refusal_classifier(
    classifier: Callable[[str], str] | None = None, paths: Iterable[str | os.PathLike[str]] | None = None
) -> ClassifierValidation:
    """Score `classifier` (text -> label; default the string-match `classify_refusal`) against human labels.

    `paths` are XSTest completions CSVs (default: the held-out llama2orig and mistralinstruct files).

    >>> v = validate_refusal_classifier()          # doctest: +SKIP
    >>> print(v.summary())                          # doctest: +SKIP
    """
    from assay.scorers.refusal import classify_refusal

    classify = classifier or classify_refusal
    files = [Path(p) for p in (paths if paths is not None else [completions_path(m) for m in HELD_OUT])]
    human: list[str] = []
    predicted: list[str] = []
    per_source: dict[str, dict[str, Any]] = {}
    for f in files:
        rows = load_completions(f)
        h = [r["label"] for r in rows]
        p = [str(classify(r["completion"])) for r in rows]
        unknown = sorted(set(p) - set(ORDER))
        if unknown:
            raise ValueError(f"the classifier returned labels {unknown}; use {', '.join(ORDER)}")
        per_source[f.stem.removeprefix("xstest_v2_completions_")] = _agreement(h, p)
        human += h
        predicted += p
    if not human:
        raise DatasetError("no completions to validate on", fix="pass at least one completions CSV")
    confusion = {hl: {pl: 0 for pl in ORDER} for hl in ORDER}
    for h_label, p_label in zip(human, predicted, strict=True):
        confusion[h_label][p_label] += 1
    overall = _agreement(human, predicted)
    return ClassifierValidation(
        n=overall["n"],
        accuracy=overall["accuracy"],
        kappa=overall["kappa"],
        binary_accuracy=overall["binary_accuracy"],
        binary_kappa=overall["binary_kappa"],
        confusion=confusion,
        sources=list(per_source),
        per_source=per_source,
    )


def bundled_validation() -> dict[str, Any] | None:
    """The string-match classifier's held-out validation shipped with assay (None if the file is missing)."""
    if not VALIDATION_FILE.is_file():
        return None
    data: dict[str, Any] = json.loads(VALIDATION_FILE.read_text(encoding="utf-8"))
    return data


def main(argv: Sequence[str] | None = None) -> None:
    """Recompute `refusal_validation.json` from the held-out completions.

    Run as `python -m assay.suites.safety.validation [XSTEST_DIR]`.
    """
    import sys

    args = list(argv if argv is not None else sys.argv[1:])
    root = args[0] if args else None
    from assay.scorers.refusal import CLASSIFIER_VERSION

    result = validate_refusal_classifier(paths=[completions_path(m, root) for m in HELD_OUT])
    payload = {
        "classifier": CLASSIFIER_VERSION,
        "validated_on": "XSTest v2 human labels, held-out completions of " + ", ".join(HELD_OUT),
        "developed_on": ", ".join(DEVELOPMENT),
        **result.to_dict(),
    }
    VALIDATION_FILE.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(result.summary())


if __name__ == "__main__":
    main()
