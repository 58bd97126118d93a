"""Sample records of chosen answers to BBQ items, for analysis tests."""

from __future__ import annotations

from typing import Any


def bbq_record(s: Any, role: str) -> dict[str, Any]:
    """The sample record of answering BBQ item `s` with the option of `role` (target, non_target, unknown)."""
    i = s.metadata["answer_roles"].index(role)
    return {
        "sample_id": s.id,
        "epoch": 1,
        "variant": "",
        "answer": "ABC"[i],
        "target": s.target,
        "metadata": s.metadata,
        "scores": {"acc": float(i == s.target_index())},
    }
