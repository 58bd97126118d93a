"""exact_match, includes, regex_match."""

from __future__ import annotations

import pytest

from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.models.base import Response
from assay.scorers import exact_match, includes, regex_match

CAPITAL = Sample(input="What is the capital of France?", target="Paris")


def acc(scorer: object, sample: Sample, text: str) -> float:
    return scorer.score(sample, Response(text=text)).value["accuracy"]  # type: ignore[attr-defined]


def test_exact_match_strip_and_case() -> None:
    assert acc(exact_match(), CAPITAL, "  Paris\n") == 1.0
    assert acc(exact_match(), CAPITAL, "paris") == 0.0
    assert acc(exact_match(ignore_case=True), CAPITAL, "PARIS") == 1.0
    assert acc(exact_match(strip=False), CAPITAL, "Paris ") == 0.0
    assert exact_match().score(CAPITAL, Response(text=" Paris ")).answer == "Paris"


def test_exact_match_any_of_several_targets() -> None:
    sample = Sample(input="Largest planet?", target=["Jupiter", "Planet Jupiter"])
    assert acc(exact_match(), sample, "Planet Jupiter") == 1.0
    assert acc(exact_match(), sample, "Saturn") == 0.0


def test_includes() -> None:
    assert acc(includes(), CAPITAL, "The capital of France is Paris.") == 1.0
    assert acc(includes(), CAPITAL, "The capital of France is paris.") == 0.0
    assert acc(includes(ignore_case=True), CAPITAL, "the capital is PARIS") == 1.0
    assert acc(includes(), Sample(input="?", target=""), "anything") == 0.0  # an empty target never matches
    score = includes().score(Sample(input="?", target=["Lyon", "Paris"]), Response(text="Paris, I think"))
    assert score.metadata["matched"] == "Paris"


def test_regex_match_groups_and_position() -> None:
    text = "ANSWER: Lyon\nWait, no.\nANSWER: Paris"
    assert acc(regex_match(r"ANSWER:\s*(\w+)"), CAPITAL, text) == 0.0
    assert acc(regex_match(r"ANSWER:\s*(\w+)", position="last"), CAPITAL, text) == 1.0
    assert acc(regex_match(r"Paris"), CAPITAL, "in Paris") == 1.0  # no group: the whole match
    missing = regex_match(r"ANSWER:\s*(\w+)").score(CAPITAL, Response(text="no idea"))
    assert missing.value == {"accuracy": 0.0} and missing.metadata["extracted"] is False and missing.answer is None
    assert acc(regex_match(r"answer:\s*(\w+)", ignore_case=True), CAPITAL, "Answer: paris") == 1.0


def test_errors_and_spec() -> None:
    with pytest.raises(ConfigError, match="invalid regular expression"):
        regex_match("(unclosed")
    with pytest.raises(ConfigError, match="position"):
        regex_match("x", position="middle")  # type: ignore[arg-type]
    spec = regex_match(r"(\d+)", position="last").spec()
    assert spec["pattern"] == r"(\d+)" and spec["position"] == "last" and spec["metrics"] == ["accuracy"]
    assert exact_match(ignore_case=True).spec()["ignore_case"] is True
    failed = exact_match().score(CAPITAL, Response(text="", error="HTTP 500"))
    assert failed.value == {"accuracy": 0.0} and failed.metadata["error"] == "HTTP 500"
