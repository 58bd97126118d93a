"""Text perturbations: what each one does, determinism per seed, and that the input sample is untouched."""

import copy
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.core.sample import Sample
from assay.perturb import get_perturbation

TEXT_NAMES = [
    "typo",
    "typo:0.3",
    "swap:0.5",
    "case",
    "case:upper",
    "case:title",
    "case:random",
    "whitespace:0.5",
    "contract",
    "expand",
    "filler:0.4",
    "synonym:1",
]
SENTENCE = "It is not a big problem: do not start the quick test. I am sure they are right; don't stop."


def apply(name: str, sample: Sample, seed: int = 0) -> Sample:
    return get_perturbation(name)(sample, random.Random(seed))


def mc(text: str = SENTENCE) -> Sample:
    return Sample(input=text, choices=["big one", "small one", "none"], target="A", id="q1", metadata={"k": [1]})


@pytest.mark.parametrize("name", TEXT_NAMES)
def test_text_perturbation_changes_only_the_input_and_records_itself(name: str) -> None:
    s = mc()
    before = copy.deepcopy(s)
    out = apply(name, s)
    assert s == before  # never mutated
    assert out is not s and out.id == s.id and out.cluster == s.cluster
    assert out.choices == s.choices and out.target == s.target  # the answer key is the clean one
    assert out.input != s.input
    info = out.metadata["perturbation"]
    assert info["name"] == name and info["kind"] == "text" and info["changed"] is True and info["n_edits"] >= 1
    assert out.metadata["k"] == [1] and out.metadata["k"] is not s.metadata["k"]


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("abcdefghij ABC.,'"), min_size=0, max_size=60), seed=st.integers(0, 9))
def test_every_text_perturbation_is_deterministic_per_seed(text: str, seed: int) -> None:
    s = Sample(input=text, target="x", id="p")
    for name in TEXT_NAMES:
        assert apply(name, s, seed).input == apply(name, s, seed).input


def test_different_seeds_give_different_typos() -> None:
    outs = {apply("typo:0.3", mc(), seed).input for seed in range(5)}
    assert len(outs) > 1


def test_typo_uses_keyboard_neighbours_and_keeps_length() -> None:
    out = apply("typo:1", Sample(input="sad", id="a"))
    assert len(out.input) == 3
    assert out.input[0] in "qwezxd" and out.input[1] in "qswz" and out.input[2] in "cefrsx"


def test_swap_keeps_first_and_last_letter_and_letters() -> None:
    out = apply("swap:1", Sample(input="question", id="a")).input
    assert out != "question" and out[0] == "q" and out[-1] == "n" and sorted(out) == sorted("question")


def test_case_modes() -> None:
    s = Sample(input="Don't Stop me now", id="a")
    assert apply("case", s).input == "don't stop me now"
    assert apply("case:upper", s).input == "DON'T STOP ME NOW"
    assert apply("case:title", s).input == "Don't Stop Me Now"


def test_whitespace_only_changes_spaces() -> None:
    out = apply("whitespace:1", mc()).input
    assert out.split() == SENTENCE.split() and out != SENTENCE


def test_contract_and_expand_are_inverse_on_listed_pairs() -> None:
    s = Sample(input="I am sure it is not. Do not go, they are here.", id="a")
    contracted = apply("contract", s).input
    assert contracted == "I'm sure it's not. Don't go, they're here."
    assert apply("expand", Sample(input=contracted, id="a")).input == s.input


def test_filler_inserts_words_between_words_only() -> None:
    out = apply("filler:1", Sample(input="one two three.", id="a")).input
    assert out.startswith("one ") and out.endswith("three.") and len(out.split()) > 3


def test_synonym_uses_bundled_list_and_keeps_case() -> None:
    out = apply("synonym:1", Sample(input="Big problem", id="a")).input
    first, second = out.split(" ", 1)
    assert first in ("Large", "Huge") and second in ("issue", "difficulty")


def test_unchanged_text_is_recorded_as_unchanged() -> None:
    out = apply("contract", Sample(input="nothing to contract here", id="a"))
    assert out.metadata["perturbation"]["changed"] is False and out.input == "nothing to contract here"


def test_chat_input_perturbs_user_turns_only() -> None:
    messages = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Do not stop."}]
    out = apply("case:upper", Sample(input=messages, id="c"))
    assert out.input == [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "DO NOT STOP."}]
    assert messages[1]["content"] == "Do not stop."
