"""Exact dedup's reduce over sorted hash runs: any number of key ranges gives the same drops and counters."""

from __future__ import annotations

import importlib
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from tests.data.data_fixtures import read_output, write_shards

from assay.data import ExactDedup, FileReader, LocalExecutor, Pipeline
from assay.data.dedup import normalise
from assay.data.runs import ShardLists, ShardRuns

# `assay.data.dedup` the attribute is the `dedup` function (re-exported by the package); the module is here
dedup_module = importlib.import_module("assay.data.dedup")


def _corpus(passages: list[dict[str, str]]) -> list[dict[str, object]]:
    """Copies within and across shards, groups of 2 to 6, variants equal only after normalising, blanks."""
    rng = random.Random(3)
    base = [p["text"] for p in passages[:400]]
    docs: list[dict[str, object]] = []
    for i in range(900):
        text = rng.choice(base[:150]) if rng.random() < 0.5 else base[i % len(base)]
        variant = rng.random()
        if variant < 0.2:
            text = "  " + text.upper() + "\n"
        elif variant < 0.25:
            text = ""
        docs.append({"id": f"d{i}", "text": text})
    return docs


def test_reduce_in_many_hash_ranges_gives_the_same_result(
    passages: list[dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _corpus(passages)
    write_shards(docs, tmp_path / "in", 4)
    one = Pipeline(FileReader(tmp_path / "in"), [ExactDedup()], tmp_path / "one").run(LocalExecutor(workers=1))

    seen: list[int] = []
    ranges = ShardRuns.ranges

    def spy(self: ShardRuns, prefix: str, row: int, budget: int):  # type: ignore[no-untyped-def]
        for slices in ranges(self, prefix, row, budget):
            seen.append(sum(hi - lo for _, lo, hi in slices))
            yield slices

    monkeypatch.setattr(dedup_module, "RANGE_ENTRIES", 20)
    monkeypatch.setattr(ShardRuns, "ranges", spy)
    many = Pipeline(FileReader(tmp_path / "in"), [ExactDedup()], tmp_path / "many").run(LocalExecutor(workers=1))
    assert len(seen) > 30 and sum(seen) == len(docs)  # ~45 ranges, every hash in exactly one

    assert read_output(tmp_path / "one") == read_output(tmp_path / "many")
    assert one.step("exact_dedup").to_dict() == many.step("exact_dedup").to_dict()

    # the stated rule: the first copy in corpus order (shard, then line) survives
    order = [d for s in range(4) for d in docs[s::4]]
    first: dict[str, str] = {}
    for d in order:
        first.setdefault(normalise(str(d["text"])), str(d["id"]))
    assert [d["id"] for d in read_output(tmp_path / "one")] == [d["id"] for d in order if d["id"] in first.values()]
    groups = Counter(normalise(str(d["text"])) for d in docs)
    counters = one.step("exact_dedup").counters
    assert counters["duplicates"] == len(docs) - len(groups)
    assert counters["clusters"] == sum(1 for n in groups.values() if n > 1)


def test_shard_lists_split_global_numbers_per_shard() -> None:
    offsets = np.array([0, 5, 5, 12], dtype=np.int64)  # the middle shard is empty
    lists = ShardLists(offsets)
    lists.add(np.array([11, 0, 6], dtype=np.int64))
    lists.add(np.array([4, 5], dtype=np.int64))
    lists.add(np.empty(0, np.int64))
    out = lists.lists()
    assert [x.tolist() for x in out] == [[0, 4], [], [0, 1, 6]]
    assert all(x.dtype == np.int64 for x in out)
