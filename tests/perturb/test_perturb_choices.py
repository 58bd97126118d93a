"""shuffle_choices keeps the answer key (letter, text, index, list forms); format variants reach the template."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.core.sample import LETTERS, Sample
from assay.core.template import Template, multiple_choice_template
from assay.errors import ConfigError
from assay.perturb import get_perturbation
from assay.perturb.choices import FORMATS, permute_target

shuffle = get_perturbation("shuffle_choices")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 8),
    answer=st.integers(0, 7),
    form=st.sampled_from(["letter", "text", "index", "lower"]),
    seed=st.integers(0, 10_000),
)
def test_shuffle_keeps_the_correct_choice_in_every_target_form(n: int, answer: int, form: str, seed: int) -> None:
    answer %= n
    choices = [f"option {i}" for i in range(n)]
    target = {
        "letter": LETTERS[answer],
        "text": choices[answer],
        "index": str(answer),
        "lower": LETTERS[answer].lower(),
    }[form]
    s = Sample(input="q?", choices=choices, target=target, id="s")
    out = shuffle(s, random.Random(seed))
    assert out.choices is not None and sorted(out.choices) == sorted(choices) and out.choices != choices
    assert out.choices[out.target_index()] == choices[answer]
    assert out == shuffle(s, random.Random(seed))  # deterministic per seed
    info = out.metadata["perturbation"]
    assert [choices[i] for i in info["order"]] == out.choices and info["original_target"] == target
    assert s.choices == choices and s.target == target


def test_shuffle_remaps_every_target_of_a_list() -> None:
    s = Sample(input="q", choices=["aa", "bb", "cc"], target=["A", "cc"], id="s")
    out = shuffle(s, random.Random(3))
    assert out.choices is not None
    assert [out.choices["ABC".index(out.target[0])], out.target[1]] == ["aa", "cc"]


def test_shuffle_leaves_samples_without_choices_alone() -> None:
    s = Sample(input="q", target="x", id="s")
    out = shuffle(s, random.Random(0))
    assert out.input == "q" and out.metadata["perturbation"]["changed"] is False


def test_permute_target_rejects_a_target_that_names_no_choice() -> None:
    with pytest.raises(ConfigError):
        permute_target(Sample(input="q", choices=["a", "b"], target="zz", id="s"), [1, 0])


@pytest.mark.parametrize("index", range(1, len(FORMATS)))
def test_format_variant_sets_the_layout_and_keeps_everything_else(index: int) -> None:
    s = Sample(input="2+2?", choices=["3", "4"], target="B", id="f")
    out = get_perturbation(f"format:{index}")(s, random.Random(0))
    assert out.metadata["format"] == FORMATS[index] and out.metadata["perturbation"]["kind"] == "format"
    assert (out.input, out.choices, out.target, out.id) == (s.input, s.choices, s.target, s.id)
    assert "format" not in s.metadata


def test_formats_are_distinct() -> None:
    assert len({tuple(sorted(f.items())) for f in FORMATS}) == len(FORMATS)


@pytest.mark.parametrize("bad", ["format", "format:0", "format:99", "format:x"])
def test_bad_format_numbers_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        get_perturbation(bad)


needs_layout = pytest.mark.skipif(
    not hasattr(Template, "layout"), reason="core/template.py does not read metadata['format'] yet (see report)"
)


@needs_layout
def test_template_renders_a_format_variant() -> None:
    t = multiple_choice_template()
    s = Sample(input="2+2?", choices=["3", "4"], target="B", id="f")
    out = get_perturbation("format:8")(s, random.Random(0))
    assert t.render(out) == "2+2?\n1. 3\n2. 4\nAnswer:"
    assert t.render_loglikelihood(out)[1] == [" 1", " 2"]
    five = get_perturbation("format:5")(s, random.Random(0))
    assert t.render(five) == "2+2?\nA - 3\nB - 4\nThe answer is"
    assert t.render(s) == "2+2?\nA. 3\nB. 4\nAnswer:"


@needs_layout
def test_fewshot_examples_follow_the_question_format() -> None:
    pool = [Sample(input="1+1?", choices=["2", "3"], target="A", id="e")]
    t = multiple_choice_template(fewshot=1, fewshot_samples=pool)
    s = Sample(input="2+2?", choices=["3", "4"], target="B", id="f")
    text = t.render_text(get_perturbation("format:1")(s, random.Random(0)))
    assert text == "1+1?\n(A) 2\n(B) 3\nAnswer: A\n\n2+2?\n(A) 3\n(B) 4\nAnswer:"
    assert t.render_text(s).startswith("1+1?\nA. 2\nB. 3\nAnswer: A")
