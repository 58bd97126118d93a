"""Counterfactual swaps: gendered words, names and race words, applied to input and options consistently."""

import random

import pytest

from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.perturb import get_perturbation


def apply(name: str, sample: Sample, seed: int = 0) -> Sample:
    return get_perturbation(name)(sample, random.Random(seed))


def test_swap_gender_flips_pronouns_by_role_and_nouns() -> None:
    s = Sample(input="He gave her book to her. She thanked his mother; the book is his.", id="g")
    out = apply("swap_gender", s).input
    assert out == "She gave his book to him. He thanked her father; the book is hers."
    objects = Sample(input="Let her enter, keep her safe and make her less tense; take her keys.", id="o")
    assert apply("gender:male", objects).input == "Let him enter, keep him safe and make him less tense; take his keys."


def test_gender_groups_make_every_term_one_gender_and_keep_clitics() -> None:
    s = Sample(input="The boy's sister said he's her uncle.", id="g")
    assert apply("gender:male", s).input == "The boy's brother said he's his uncle."
    assert apply("gender:female", s).input == "The girl's sister said she's her aunt."


def test_swap_applies_to_options_and_a_text_target_follows() -> None:
    s = Sample(
        input="Who lost the keys, the man or the woman?",
        choices=["The man", "The woman", "Unknown"],
        target="The man",
        id="g",
    )
    out = apply("swap_gender", s)
    assert out.choices == ["The woman", "The man", "Unknown"]
    assert out.target == "The woman" and out.choices[out.target_index()] == "The woman"
    info = out.metadata["perturbation"]
    assert info["kind"] == "counterfactual" and info["attribute"] == "gender" and info["changed"]


def test_letter_target_is_unchanged_by_a_swap() -> None:
    s = Sample(input="Is he right?", choices=["he is", "no"], target="A", id="g")
    assert apply("gender:female", s).target == "A"


def test_names_swap_is_consistent_within_a_sample_and_keeps_people_distinct() -> None:
    s = Sample(input="Emily met Greg. Later Emily called Greg.", choices=["Emily", "Greg"], target="Emily", id="n")
    out = apply("names:black", s, seed=4)
    assert isinstance(out.input, str) and out.choices is not None
    first, second = out.choices
    assert out.input == f"{first} met {second}. Later {first} called {second}."
    assert first != second and out.target == first
    from assay.perturb.base import load_data

    names = load_data("demographic.json")["names"]
    assert first in names["black_female"] and second in names["black_male"]  # gender kept


def test_names_swap_is_deterministic_per_seed() -> None:
    s = Sample(input="John and Mary went home.", id="n")
    assert apply("names:female", s, 7).input == apply("names:female", s, 7).input


def test_race_swap_matches_capitalised_terms_and_fixes_articles() -> None:
    s = Sample(input="A Black man and an African American woman sat on the white bench.", id="r")
    assert apply("race:asian", s).input == "An Asian man and an Asian woman sat on the white bench."


@pytest.mark.parametrize("bad", ["gender", "gender:other", "names:klingon", "race", "race:martian", "swap_gender:x"])
def test_bad_groups_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        get_perturbation(bad)
