"""Near-dedup quality against brute-force exact Jaccard, and the MinHash/LSH building blocks."""

from __future__ import annotations

import json
from itertools import combinations

import numpy as np
from tests.data.data_fixtures import NearDupFixture, read_output, write_shards

from assay.data import FileReader, LocalExecutor, NearDedup, Pipeline
from assay.data.lsh import PairSet, union_find, unique_pairs
from assay.data.minhash import MinHasher
from assay.data.textutil import jaccard, shingle_set


def cluster_pairs(roots: np.ndarray) -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(roots.tolist()):
        groups.setdefault(r, []).append(i)
    return {(a, b) for g in groups.values() if len(g) > 1 for a, b in combinations(sorted(g), 2)}


def test_recall_and_precision_against_exact_jaccard(neardup: NearDupFixture) -> None:
    res = NearDedup().find(neardup.texts)
    found = cluster_pairs(res.roots)
    truth = neardup.true_pairs
    assert len(truth) > 200  # edited copies and BoolQ's own duplicates
    recall = len(found & truth) / len(truth)
    precision = len(found & truth) / len(found)
    assert recall >= 0.95, recall
    assert precision >= 0.95, precision


def test_estimated_jaccard_tracks_exact() -> None:
    a = "the quick brown fox jumps over the lazy dog near the river bank on a sunny day in june " * 2
    b = a.replace("lazy", "sleepy").replace("sunny", "rainy")
    sig = MinHasher(num_perm=256, ngram=3).signatures([a, b])
    est = float((sig[0] == sig[1]).mean())
    exact = jaccard(shingle_set(a, 3), shingle_set(b, 3))
    assert abs(est - exact) < 0.1


def test_short_and_empty_documents() -> None:
    res = NearDedup().find(["", "", "hi there", "hi there", "   "])
    assert res.drop.tolist() == [False, False, False, True, False]  # word-less texts never match


def test_union_find_roots_are_first_members() -> None:
    roots = union_find(6, np.array([4, 1, 3]), np.array([5, 3, 5]))
    assert roots.tolist() == [0, 1, 2, 1, 1, 1]


def test_keep_longest() -> None:
    base = " ".join(f"word{i}" for i in range(60))
    res = NearDedup(keep="longest").find([base, base + " extra", "something else entirely here ok"])
    assert res.drop.tolist() == [True, False, False]


def test_pipeline_matches_in_memory_result(neardup: NearDupFixture, tmp_path) -> None:
    docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(neardup.texts)]
    # round-robin shards: document i is at shard i % 3, position i // 3; corpus order is shard-major
    write_shards(docs, tmp_path / "in", 3)
    order = [i for s in range(3) for i in range(s, len(docs), 3)]
    expected = NearDedup().find([neardup.texts[i] for i in order])
    kept_ids = {f"d{order[k]}" for k in np.flatnonzero(~expected.drop)}
    stats = Pipeline(FileReader(tmp_path / "in"), [NearDedup()], tmp_path / "out").run(LocalExecutor(workers=2))
    assert {d["id"] for d in read_output(tmp_path / "out")} == kept_ids
    nd = stats.step("near_dedup")
    assert nd.counters["duplicates"] == int(expected.drop.sum()) == nd.dropped["near_duplicate"]
    saved = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert saved["steps"][0]["docs_out"] == len(kept_ids)


def test_reduce_in_many_key_range_partitions_gives_the_same_result(
    neardup: NearDupFixture, tmp_path, monkeypatch
) -> None:
    import assay.data.lsh_store as store

    docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(neardup.texts)]
    docs += [{"id": "blank", "text": "  ... !!! "}]  # no words: never a candidate
    write_shards(docs, tmp_path / "in", 4)
    step = [NearDedup(keep="longest")]
    one = Pipeline(FileReader(tmp_path / "in"), step, tmp_path / "one").run(LocalExecutor(workers=1))
    seen: list[int] = []
    partitions = store.CollectedShards.partitions

    def spy(self, bands, budget=None):  # type: ignore[no-untyped-def]
        for part in partitions(self, bands, budget):
            seen.append(len(part[0]))
            yield part

    monkeypatch.setattr(store, "PARTITION_ENTRIES", 100)
    monkeypatch.setattr(store.CollectedShards, "partitions", spy)
    many = Pipeline(FileReader(tmp_path / "in"), step, tmp_path / "many").run(LocalExecutor(workers=1))
    assert len(seen) > 20 * 32 and max(seen) < 300  # ~21 key ranges per band, each about the budget
    assert read_output(tmp_path / "one") == read_output(tmp_path / "many")
    assert one.step("near_dedup").to_dict() == many.step("near_dedup").to_dict()
    expected = NearDedup(keep="longest").find([str(d["text"]) for s in range(4) for d in docs[s::4]])
    assert one.step("near_dedup").counters["duplicates"] == int(expected.drop.sum())


def test_pairs_beyond_32_bit_document_numbers() -> None:
    big = np.int64(2**33)
    i = np.array([1, big, 1, 5], dtype=np.int64)
    j = np.array([big + 1, big + 2, big + 1, 6], dtype=np.int64)
    ui, uj = unique_pairs(i, j)
    assert list(zip(ui.tolist(), uj.tolist(), strict=True)) == [(1, big + 1), (5, 6), (big, big + 2)]
    pairs = PairSet()
    for _ in range(3):
        pairs.add(i, j)
    assert [len(a) for a in pairs.pairs()] == [3, 3]
