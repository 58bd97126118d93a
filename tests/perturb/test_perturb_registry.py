"""The perturbation registry: names, parameters, errors."""

import random

import pytest

from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.perturb import ROBUSTNESS_DEFAULT, describe, get_perturbation, list_perturbations, perturbation_kind


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as err:
        get_perturbation("tyop")
    message = str(err.value)
    for name in ("typo", "shuffle_choices", "format", "gender", "synonym"):
        assert name in message


@pytest.mark.parametrize("bad", ["typo:2", "typo:x", "contract:1", "case:weird", "shuffle_choices:1"])
def test_bad_parameters_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        get_perturbation(bad)


def test_rate_parameter_is_used() -> None:
    s = Sample(input="some words here to type badly", id="a")
    assert get_perturbation("typo:0")(s, random.Random(0)).input == s.input
    assert get_perturbation("typo:1")(s, random.Random(0)).input != s.input


def test_every_default_and_listed_perturbation_resolves() -> None:
    for name in ROBUSTNESS_DEFAULT:
        assert callable(get_perturbation(name))
    kinds = {info.kind for info in list_perturbations().values()}
    assert kinds == {"text", "choices", "format", "counterfactual"}
    assert perturbation_kind("typo:0.2") == "text" and perturbation_kind("gender:male") == "counterfactual"
    assert perturbation_kind("nope") is None
    assert describe("format:3")["kind"] == "format"


def test_runner_resolves_names_through_evaluate() -> None:
    from assay.core.evaluate import resolve_variants

    variants = resolve_variants(["typo:0.1", "shuffle_choices"])
    assert list(variants) == ["typo:0.1", "shuffle_choices"]
