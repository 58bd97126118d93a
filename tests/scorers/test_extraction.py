"""letter_choice and numeric_match: extraction from realistic model outputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assay.core.sample import Sample
from assay.models.base import Response
from assay.scorers import letter_choice, numeric_match
from assay.scorers.extraction import extract_letter, extract_number

QUESTION = Sample(
    input="Which planet is known as the Red Planet?", choices=["Venus", "Mars", "Jupiter", "Saturn"], target="B"
)


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("B", "B"),
        ("B.", "B"),
        ("(B)", "B"),
        ("**C**", "C"),
        ("[D]", "D"),
        ("Answer: D", "D"),
        ("answer: (a)", None),  # lower-case letters are not read as answers
        ("The answer is (B).", "B"),
        ("The correct answer is: **C**", "C"),
        ("Final answer: A", "A"),
        ("B. Mars is the red planet.", "B"),
        ("C) Jupiter", "C"),
        ("Let's think. A is wrong, C is a gas giant. The answer is B", "B"),
        ("The answer is A. Wait, no: the answer is D.", "D"),
        ("\\boxed{C}", "C"),
        ("I'd go with option D because...", "D"),
        ("Between (A) and (C), I pick (C).", "C"),
        ("It is Mars.", "B"),  # the text of exactly one choice
        ("A planet that is red: Mars", "B"),  # "A" as an article is not a letter
        ("Answer: Because Mars has iron oxide, B.", "B"),
        ("I believe B is correct.", "B"),
        ("A is correct since a bird flies.", "A"),
        ("A bird flies; D", "D"),
        ("A or B, hard to say", None),  # two different letters: ambiguous
        ("I don't know.", None),
        ("", None),
    ],
)
def test_extract_letter(text: str, letter: str | None) -> None:
    assert extract_letter(text, 4, QUESTION.choices)[0] == letter


def test_extract_letter_respects_number_of_choices() -> None:
    assert extract_letter("The answer is E", 4)[0] is None
    assert extract_letter("The answer is E", 5)[0] == "E"


def test_letter_choice_scores_against_target_index() -> None:
    scorer = letter_choice()
    right = scorer.score(QUESTION, Response(text="After thinking, the answer is (B)."))
    assert right.value == {"accuracy": 1.0} and right.answer == "B" and right.metadata["pattern"] == "answer_statement"
    wrong = scorer.score(QUESTION, Response(text="C"))
    assert wrong.value == {"accuracy": 0.0} and wrong.answer == "C"
    none = scorer.score(QUESTION, Response(text="no idea"))
    assert none.value == {"accuracy": 0.0} and none.answer is None and none.metadata["pattern"] == "none"
    by_text = Sample(input="Red planet?", choices=["Venus", "Mars"], target="Mars")
    assert scorer.score(by_text, Response(text="B")).value == {"accuracy": 1.0}
    assert letter_choice(match_choice_text=False).score(QUESTION, Response(text="It is Mars.")).answer is None
    no_choices = Sample(input="Pick A-D", target="c")
    assert scorer.score(no_choices, Response(text="Answer: C")).value == {"accuracy": 1.0}


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200),
    letter=st.sampled_from("ABCD"),
    style=st.sampled_from(["The answer is {}", "The answer is ({})", "Answer: {}", "answer is **{}**", "Answer: {}."]),
)
def test_property_stated_answer_is_always_found(prefix: str, letter: str, style: str) -> None:
    text = prefix + "\n\n" + style.format(letter)
    assert extract_letter(text, 4)[0] == letter


@settings(max_examples=100, deadline=None)
@given(letter=st.sampled_from("ABCDEFGH"), n=st.integers(min_value=2, max_value=8))
def test_property_bare_letter_found_iff_valid(letter: str, n: int) -> None:
    found = extract_letter(f" {letter} ", n)[0]
    assert found == (letter if "ABCDEFGH".index(letter) < n else None)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Natalia sold 48/2 = 24 clips in May.\n#### 72", 72.0),
        ("The total is $1,234.50.", 1234.5),
        ("The temperature dropped to -15 degrees.", -15.0),
        ("Result: −7", -7.0),
        ("About 45% of them.", 45.0),
        ("x = 3/4", 0.75),
        ("So the answer is 18 apples, not 20.", 18.0),
        ("\\boxed{12}", 12.0),
        ("Answer: .5", 0.5),
        ("Between 3-4 hours; we take 4.", 4.0),
        ("1,000,000 people", 1_000_000.0),
        ("no numbers here", None),
    ],
)
def test_extract_number(text: str, value: float | None) -> None:
    assert extract_number(text)[0] == value


def test_numeric_match_gsm8k_style_and_tolerance() -> None:
    gsm = Sample(input="How many clips?", target="Natalia sold 48/2 = 24 clips in May.\n#### 72")
    scorer = numeric_match()
    score = scorer.score(gsm, Response(text="She sold 48 + 24 = 72 clips altogether. The answer is 72."))
    assert score.value == {"accuracy": 1.0} and score.answer == "72"
    assert scorer.score(gsm, Response(text="#### 71")).value == {"accuracy": 0.0}
    approx = Sample(input="pi?", target="3.14159")
    assert numeric_match(tolerance=0.01).score(approx, Response(text="about 3.14")).value == {"accuracy": 1.0}
    assert numeric_match().score(approx, Response(text="about 3.14")).value == {"accuracy": 0.0}
    rel = numeric_match(tolerance=0.01, relative=True)
    assert rel.score(Sample(input="?", target="1000"), Response(text="1005")).value == {"accuracy": 1.0}
    assert rel.spec()["relative"] is True
    missing = scorer.score(gsm, Response(text="I cannot say"))
    assert missing.value == {"accuracy": 0.0} and missing.answer is None
    assert scorer.score(Sample(input="?", target=["1/2", "0.5"]), Response(text="0.5")).value == {"accuracy": 1.0}


def test_letter_choice_reads_the_labels_of_a_format_variant() -> None:
    numbered = Sample(
        input="Capital of France?",
        choices=["Rome", "Paris", "Lima"],
        target="B",
        metadata={"format": {"choice_labels": "123"}},
    )
    assert letter_choice().score(numbered, Response("The answer is 2.")).value == {"accuracy": 1.0}
    assert letter_choice().score(numbered, Response("The answer is 2.")).answer == "B"
    assert letter_choice().score(numbered, Response("The answer is 1.")).value == {"accuracy": 0.0}
    lower = Sample(input="q", choices=["x", "y"], target="A", metadata={"format": {"choice_labels": "ab"}})
    assert letter_choice().score(lower, Response("(a)")).value == {"accuracy": 1.0}
