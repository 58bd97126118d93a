"""choice(): log-likelihood multiple choice, acc and acc_norm."""

from __future__ import annotations

import pytest

from assay.core.sample import Sample
from assay.core.template import multiple_choice_template
from assay.errors import ConfigError
from assay.models.base import Response
from assay.scorers import choice

HELLASWAG_LIKE = Sample(
    input="A man is sitting on a roof. He",
    choices=["starts pulling up roofing on a roof.", "is using wrap to wrap a pair of skis.", "falls.", "sings."],
    target="0",
)


def test_acc_picks_argmax_and_reports_label() -> None:
    score = choice().score(HELLASWAG_LIKE, Response(loglikelihoods=[-9.0, -12.0, -5.0, -7.5]))
    assert score.answer == "C" and score.value["acc"] == 0.0
    assert score.metadata["loglikelihoods"] == [-9.0, -12.0, -5.0, -7.5]
    assert choice().request_kind == "loglikelihood" and choice().metrics == ("acc", "acc_norm")


def test_acc_norm_divides_by_byte_length_of_choice_text() -> None:
    # Continuations " " + choice: 37, 38, 7 and 7 bytes. Per byte, choice 0 (-9/37) beats "falls." (-5/7).
    lls = [-9.0, -12.0, -5.0, -7.5]
    score = choice(continuations="choices").score(HELLASWAG_LIKE, Response(loglikelihoods=lls))
    assert score.value == {"acc": 0.0, "acc_norm": 1.0}
    assert score.answer == "C" and score.metadata["acc_norm_answer"] == "A"


def test_acc_norm_counts_bytes_not_characters() -> None:
    # "é" is 2 bytes: " éé" is 5 bytes, " ab" is 3. Equal per-character scores differ per byte.
    sample = Sample(input="?", choices=["ab", "éé"], target="B")
    score = choice(continuations="choices").score(sample, Response(loglikelihoods=[-3.0, -4.0]))
    assert score.value["acc"] == 0.0 and score.value["acc_norm"] == 1.0  # -4/5 > -3/3


def test_labels_make_acc_norm_equal_acc_and_template_settings_copy() -> None:
    sample = Sample(input="2+2?", choices=["3", "4", "5"], target="B")
    score = choice().score(sample, Response(loglikelihoods=[-2.0, -0.1, -3.0]))
    assert score.value == {"acc": 1.0, "acc_norm": 1.0} and score.answer == "B"
    scorer = choice(template=multiple_choice_template(continuations="choices", choice_labels="1234"))
    assert scorer.continuations == "choices" and scorer.choice_labels == "1234"
    assert scorer.score(sample, Response(loglikelihoods=[-2.0, -0.1, -3.0])).answer == "2"
    assert scorer.spec()["continuations"] == "choices"


def test_ties_take_the_first_choice() -> None:
    sample = Sample(input="?", choices=["x", "y"], target="A")
    assert choice().score(sample, Response(loglikelihoods=[-1.0, -1.0])).answer == "A"


def test_failed_response_and_mismatched_lengths() -> None:
    failed = choice().score(HELLASWAG_LIKE, Response(error="timeout"))
    assert failed.value == {"acc": 0.0, "acc_norm": 0.0} and failed.metadata["error"] == "timeout"
    with pytest.raises(ConfigError, match="2 log-likelihoods for 4 choices"):
        choice().score(HELLASWAG_LIKE, Response(loglikelihoods=[-1.0, -2.0]))
    with pytest.raises(ConfigError, match="no choices"):
        choice().score(Sample(input="?", target="x"), Response(loglikelihoods=[-1.0]))
