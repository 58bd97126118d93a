"""Printable tables and number formatting."""

from __future__ import annotations

from assay.stats.results import fmt, table


def test_fmt() -> None:
    assert fmt(None) == "-"
    assert fmt(3) == "3"
    assert fmt(0.5) == "0.5000"
    assert fmt(1e-7) == "1.00e-07"
    assert fmt(float("nan")) == "nan"
    assert fmt(float("inf")) == "inf"


def test_table_layout() -> None:
    t = table("Title", [("alpha", "1"), ("b", "22")], note="method: t")
    lines = t.splitlines()
    assert lines[0] == "=" * len(lines[0]) and "Title" in lines[1]
    assert lines[3].startswith("alpha") and lines[3].endswith("1")
    assert len(lines[3]) == len(lines[4]) == len(lines[0])
    assert lines[-1] == "method: t"
