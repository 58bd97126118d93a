"""Shared fixtures for the statistics tests: real XSTest completions with human labels."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

XSTEST = Path(__file__).resolve().parents[3] / "shared" / "data" / "xstest" / "model_completions"
MODELS = ("gpt4", "llama2new", "llama2orig", "mistralguard", "mistralinstruct")


def _load(model: str) -> list[dict[str, str]]:
    with open(XSTEST / f"xstest_v2_completions_{model}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def xstest() -> dict[str, dict[str, np.ndarray]]:
    """Per model: prompt ids, prompt type (cluster), compliance (1 = full compliance) and both annotations."""
    if not XSTEST.exists():
        pytest.skip(f"XSTest data not found at {XSTEST}")
    out: dict[str, dict[str, np.ndarray]] = {}
    for m in MODELS:
        rows = sorted(_load(m), key=lambda r: r["id"])
        out[m] = {
            "id": np.array([r["id"] for r in rows]),
            "type": np.array([r["type"] for r in rows]),
            "comply": np.array([r["final_label"].startswith("1_") for r in rows], dtype=float),
            "ann1": np.array([r["annotation_1"] for r in rows]),
            "ann2": np.array([r["annotation_2"] for r in rows]),
        }
    return out
