"""Exact dedup, quality filters, PII and toxicity: each step's decisions and its statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.data.data_fixtures import read_output, write_shards

from assay.data import (
    C4Filter,
    Document,
    ExactDedup,
    FileReader,
    GopherQualityFilter,
    GopherRepetitionFilter,
    LocalExecutor,
    PiiScrubber,
    Pipeline,
    StepStats,
    ToxicityFilter,
)
from assay.data.pii import luhn_ok


def test_exact_dedup_across_shards_keeps_first(tmp_path: Path, passages: list[dict[str, str]]) -> None:
    docs = [{"id": f"p{i}", "text": p["text"]} for i, p in enumerate(passages[:300])]
    docs.append({"id": "dup-upper", "text": "  " + passages[0]["text"].upper() + "\n"})  # same after normalising
    write_shards(docs, tmp_path / "in", 3)
    stats = Pipeline(FileReader(tmp_path / "in"), [ExactDedup()], tmp_path / "out").run(LocalExecutor(workers=2))
    out = read_output(tmp_path / "out")
    texts = [" ".join(str(d["text"]).lower().split()) for d in out]
    assert len(texts) == len(set(texts))
    unique = len({" ".join(d["text"].lower().split()) for d in docs})
    assert len(out) == unique
    assert stats.step("exact_dedup").counters["duplicates"] == len(docs) - unique
    assert "p0" in {d["id"] for d in out} and "dup-upper" not in {d["id"] for d in out}


GOOD = (
    "The committee met on Tuesday to review the budget and the plans for the new library. Members agreed that "
    "the building should open next spring, and that the city would cover most of the cost with a loan. "
    "Several residents spoke in favour of the project, and one asked whether the hours could be extended "
    "to the evening. The chair said that the question would be studied with the staff before the next meeting. "
    "The meeting ended at nine."
)


def _run(step: object, text: str) -> tuple[Document | None, StepStats]:
    stats = StepStats("s")
    out = list(step.process(iter([Document("x", text)]), stats))  # type: ignore[attr-defined]
    return (out[0] if out else None), stats


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("too short to keep", "min_words"),
        (" ".join(["#tag"] * 60), "max_symbol_word_ratio"),
        ("\n".join(["- the item and a thing with words"] * 12), "max_bullet_lines_ratio"),
        (" ".join(["aaaaaaaaaaaaaaaaaaaaaaaaa"] * 60), "max_avg_word_length"),
        (" ".join(["lorem ipsum dolor sit amet consectetur"] * 12), "min_stop_words"),
        (" ".join(["12345 67890 the and"] * 20), "min_alpha_words_ratio"),
    ],
)
def test_gopher_quality_reasons(text: str, reason: str) -> None:
    out, stats = _run(GopherQualityFilter(), text)
    assert out is None and stats.dropped == {f"gopher_quality:{reason}": 1}


def test_gopher_quality_keeps_good_text() -> None:
    assert _run(GopherQualityFilter(), GOOD)[0] is not None
    assert _run(GopherRepetitionFilter(), GOOD)[0] is not None


def test_gopher_repetition_reasons() -> None:
    out, stats = _run(GopherRepetitionFilter(), "\n".join(["the same line again and again"] * 5 + ["other"]))
    assert out is None and next(iter(stats.dropped)).startswith("gopher_repetition:dup_")
    spam = " ".join(["buy cheap watches now"] * 30)
    out, stats = _run(GopherRepetitionFilter(), spam)
    assert out is None and "gram" in next(iter(stats.dropped))


def test_c4_removes_lines_and_drops_documents() -> None:
    text = GOOD.replace(". ", ".\n") + "\nClick here\nPlease enable javascript in your browser to continue.\n"
    out, stats = _run(C4Filter(), text)
    assert out is not None and "javascript" not in out.text and "Click here" not in out.text
    assert stats.counters["c4:line_javascript"] == 1 and stats.counters["c4:line_no_terminal_punct"] == 1
    assert _run(C4Filter(), GOOD + " Lorem ipsum dolor.")[1].dropped == {"c4:lorem_ipsum": 1}
    assert _run(C4Filter(), "One sentence only.")[1].dropped == {"c4:min_sentences": 1}


def test_pii_scrub_and_counts() -> None:
    text = (
        "Write to jane.doe@example.com or call (555) 123-4567. Card 4111 1111 1111 1111, not 4111 1111 1111 "
        "1112. SSN 123-45-6789. Server 192.168.1.20 and 2001:db8::1. IBAN DE89 3704 0044 0532 0130 00. "
        "The years 1990-2000 and ISBN 978-3-16-148410-0 stay."
    )
    out, stats = _run(PiiScrubber(), text)
    assert out is not None
    for placeholder in ("<EMAIL>", "<PHONE>", "<CREDIT_CARD>", "<US_SSN>", "<IP_ADDRESS>", "<IBAN>"):
        assert placeholder in out.text
    assert "4111 1111 1111 1112" in out.text  # fails Luhn: not a card, and not a phone either
    assert "1990-2000" in out.text and "978-3-16-148410-0" in out.text
    assert dict(stats.counters) == {
        "pii:email": 1, "pii:phone": 1, "pii:credit_card": 1, "pii:us_ssn": 1, "pii:ip_address": 2, "pii:iban": 1,
    }  # fmt: skip


def test_pii_modes() -> None:
    assert _run(PiiScrubber(mode="drop"), "mail a@b.org")[1].dropped == {"pii:email": 1}
    out, _ = _run(PiiScrubber(mode="detect", types=["email"]), "mail a@b.org")
    assert out is not None and out.text == "mail a@b.org"
    assert luhn_ok("4012888888881881") and not luhn_ok("4012888888881882")


def test_toxicity_filter_with_real_classifier() -> None:
    pytest.importorskip("profanity_check")
    docs = [Document("a", GOOD), Document("b", "you are a fucking idiot and a worthless piece of shit")]
    stats = StepStats("toxicity")
    out = list(ToxicityFilter(threshold=0.8, annotate=True).process(iter(docs), stats))
    assert [d.id for d in out] == ["a"] and out[0].metadata["toxicity"] < 0.5
    assert stats.dropped == {"toxicity:score>=0.8": 1}
