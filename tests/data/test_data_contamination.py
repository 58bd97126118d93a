"""Contamination: planted benchmark questions (verbatim and lightly edited) are all found, clean ones are not."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.data.data_fixtures import FIXTURES, write_shards

from assay.core.sample import Sample
from assay.data import ContaminationIndex, DataPipelineError, load_contamination_report, scan_contamination


def _mmlu() -> list[Sample]:
    rows = [json.loads(line) for line in (FIXTURES / "mmlu_questions.jsonl").read_text().splitlines()]
    return [Sample(input=r["question"], target=r["answer"], id=r["id"]) for r in rows]


def _light_edit(text: str, rng: random.Random) -> str:
    """Case, punctuation and whitespace changes plus one word swapped near the end: a lightly edited copy."""
    words = text.split()
    words[-2] = "whatever"
    out = " ".join(words).upper() if rng.random() < 0.5 else "  ".join(words)
    return out.replace(",", " ;").replace("?", "!")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory, passages: list[dict[str, str]]) -> tuple[Path, set[str]]:
    rng = random.Random(7)
    samples = _mmlu()
    planted_ids = set()
    docs = [{"id": f"p{i}", "text": p["text"]} for i, p in enumerate(passages[:400])]
    for k, s in enumerate(samples[:40]):
        host = docs[k * 7]
        q = str(s.input) if k % 2 == 0 else _light_edit(str(s.input), rng)
        host["text"] = host["text"] + " " + q + " " + passages[500 + k]["text"]
        planted_ids.add(s.id)
    folder = tmp_path_factory.mktemp("contam") / "corpus"
    write_shards(docs, folder, 3)
    return folder, planted_ids


def test_every_planted_sample_found_and_no_clean_one(planted: tuple[Path, set[str]], tmp_path: Path) -> None:
    folder, planted_ids = planted
    tasks = {"mmlu": _mmlu(), "other": [Sample(input=p, id=f"o{i}") for i, p in enumerate(["x y z"] * 2)]}
    report = scan_contamination(folder, tasks, report=tmp_path / "rep")
    assert set(report["tasks"]["mmlu"]["samples"]) == planted_ids
    assert report["tasks"]["other"]["too_short"] == ["o0", "o1"]  # 3 words: not indexed, and said so
    spans = report["tasks"]["mmlu"]["samples"]["mmlu-0"][0]["spans"]
    assert spans[0][2].split()[:4] == str(_mmlu()[0].input).split()[:4]
    loaded = load_contamination_report(tmp_path / "rep")
    assert loaded == {"mmlu": planted_ids, "other": set()}


def test_gpt4_preset_finds_verbatim(planted: tuple[Path, set[str]]) -> None:
    folder, _ = planted
    report = scan_contamination(folder, {"mmlu": _mmlu()}, preset="gpt4")
    found = set(report["tasks"]["mmlu"]["samples"])
    verbatim = {f"mmlu-{k}" for k in range(0, 40, 2)}
    # GPT-4's random 50-character substrings can fall in a benchmark's shared template (MMLU's moral
    # scenarios), so this preset may also flag siblings of a planted question: only recall is asserted
    assert verbatim <= found


def test_index_span_offsets_point_into_text() -> None:
    s = Sample(input="one two three four five six seven eight nine ten eleven twelve thirteen fourteen", id="s")
    idx = ContaminationIndex.build({"t": [s]}, ngram=13)
    text = "Intro. One, two; three four five six seven eight nine ten eleven twelve thirteen! Outro."
    [(start, end)] = idx.scan(text)[0]
    assert text[start:end] == "One, two; three four five six seven eight nine ten eleven twelve thirteen"


def test_report_errors(tmp_path: Path) -> None:
    with pytest.raises(DataPipelineError, match="not found"):
        load_contamination_report(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataPipelineError, match="not a contamination report"):
        load_contamination_report(tmp_path / "bad.json")
