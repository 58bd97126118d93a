"""Splitting large files into sub-shards: every line once, correct line numbers, same output as unsplit."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.data.data_fixtures import NearDupFixture, read_output

from assay.data import (
    DataPipelineError,
    Document,
    ExactDedup,
    FileReader,
    GopherQualityFilter,
    LocalExecutor,
    NearDedup,
    PiiScrubber,
    Pipeline,
    StepStats,
)
from assay.data.pipeline import MapStep
from assay.data.shards import byte_ranges, row_group_ranges


def _read(reader: FileReader) -> tuple[list[Document], StepStats, int]:
    stats = StepStats("read")
    shards = reader.shards()
    return [d for sh in shards for d in reader.read(sh, stats)], stats, len(shards)


def test_every_line_in_exactly_one_sub_shard(tmp_path: Path) -> None:
    # ids come from line numbers, blank lines and a long line straddle boundaries, no trailing newline
    lines = ['{"text": "a"}', "", '{"text": "' + "long " * 20 + '"}', "", "", '{"text": "b"}', '{"text": "c"}']
    p = tmp_path / "x.jsonl"
    p.write_text("\n".join(lines))
    whole, _, n = _read(FileReader(p, shard_bytes=None))
    assert n == 1 and [d.id for d in whole] == ["x:1", "x:3", "x:6", "x:7"]
    for size in range(1, p.stat().st_size + 2):
        docs, _, n = _read(FileReader(p, shard_bytes=size))
        assert [(d.id, d.text) for d in docs] == [(d.id, d.text) for d in whole], size
        assert n == len(byte_ranges(p.stat().st_size, size))


def test_errors_in_a_sub_shard_name_the_file_line(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text("".join(f'{{"id": "d{i}", "text": "t{i}"}}\n' for i in range(50)) + '{"text": broken}\n')
    reader = FileReader(p, shard_bytes=64)
    assert len(reader.shards()) > 10
    with pytest.raises(DataPipelineError) as e:
        _read(reader)
    assert e.value.where == f"{p}, line 51"
    docs, stats, _ = _read(FileReader(p, shard_bytes=64, on_error="skip"))
    assert len(docs) == 50 and stats.counters["skipped:invalid_json"] == 1


def test_compressed_files_are_never_split(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "x.jsonl.gz", "wt") as f:
        f.write("".join(f'{{"text": "document {i}"}}\n' for i in range(200)))
    (tmp_path / "y.jsonl").write_text("".join(f'{{"text": "document {i}"}}\n' for i in range(200)))
    shards = FileReader(tmp_path, shard_bytes=100).shards()
    assert [s.name for s in shards].count("x") == 1 and [s.name for s in shards].count("y") > 10
    assert [s.index for s in shards] == list(range(len(shards)))  # file order, then offset order


def test_parquet_split_by_row_groups(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = [f"row {i} text" for i in range(100)]
    pq.write_table(pa.table({"text": texts}), tmp_path / "x.parquet", row_group_size=10)
    whole, _, n = _read(FileReader(tmp_path / "x.parquet", shard_bytes=None))
    split, _, m = _read(FileReader(tmp_path / "x.parquet", shard_bytes=1))
    assert n == 1 and m == 10
    assert [(d.id, d.text) for d in split] == [(d.id, d.text) for d in whole]
    assert split[-1].id == "x:100"  # row numbers count from the start of the file
    assert row_group_ranges([5, 5, 5, 5, 5], 10) == [(0, 2), (2, 4), (4, 5)]


def _corpus(passages: list[dict[str, str]], path: Path) -> None:
    docs = [{"text": p["text"]} for p in passages[:400]]
    docs += [{"text": p["text"] + " and that is all"} for p in passages[:60]]  # near duplicates
    docs += [{"text": p["text"].upper()} for p in passages[100:130]]  # exact duplicates after normalising
    docs += [{"text": "call 555-867-5309 or mail a@b.example now " * 3}]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))  # no ids: ids come from line numbers


def _part_bytes(folder: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes()) for p in sorted(folder.glob("part-*")))


def test_split_file_gives_identical_output_and_stats(tmp_path: Path, passages: list[dict[str, str]]) -> None:
    _corpus(passages, tmp_path / "in" / "one.jsonl")
    steps = [GopherQualityFilter(min_words=20), ExactDedup(), PiiScrubber(), NearDedup()]
    runs = {}
    for name, size in [("whole", None), ("split", 20_000)]:
        reader = FileReader(tmp_path / "in", shard_bytes=size)
        runs[name] = (Pipeline(reader, steps, tmp_path / name).run(LocalExecutor(workers=2)), len(reader.shards()))
    (whole, n_whole), (split, n_split) = runs["whole"], runs["split"]
    assert n_whole == 1 and n_split > 5
    assert _part_bytes(tmp_path / "whole") == _part_bytes(tmp_path / "split")
    assert whole.reader.to_dict() == split.reader.to_dict()
    assert [s.to_dict() for s in whole.steps] == [s.to_dict() for s in split.steps]
    nd = split.step("near_dedup").counters
    assert nd["duplicates"] >= 55 and split.step("exact_dedup").counters["duplicates"] >= 25


def test_near_dedup_across_sub_shards(tmp_path: Path, neardup: NearDupFixture) -> None:
    p = tmp_path / "in" / "c.jsonl"
    p.parent.mkdir()
    p.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(neardup.texts)))
    expected = NearDedup().find(neardup.texts)
    kept = {f"d{i}" for i, dropped in enumerate(expected.drop.tolist()) if not dropped}
    reader = FileReader(p, shard_bytes=p.stat().st_size // 7)
    stats = Pipeline(reader, [NearDedup()], tmp_path / "out").run(LocalExecutor(workers=2))
    assert len(reader.shards()) >= 7
    assert [d["id"] for d in read_output(tmp_path / "out")] == [
        f"d{i}" for i in range(len(neardup.texts)) if f"d{i}" in kept
    ]
    assert stats.step("near_dedup").counters["duplicates"] == int(expected.drop.sum())


@dataclass
class Crash(MapStep):
    """Raises on one document while `armed` (a file) exists: a crash part-way through a run."""

    name: str = "crash"
    doc_id: str = ""
    armed: str = field(default="", repr=False)  # not part of the fingerprint

    def apply_one(self, doc: Document, stats: StepStats) -> Document | None:
        if doc.id == self.doc_id and Path(self.armed).exists():
            raise RuntimeError("simulated crash")
        return doc


def test_resume_with_sub_shards(tmp_path: Path, passages: list[dict[str, str]]) -> None:
    _corpus(passages, tmp_path / "in" / "one.jsonl")
    (tmp_path / "armed").write_text("1")

    def pipe(out: str) -> Pipeline:
        steps = [Crash(doc_id="one:300", armed=str(tmp_path / "armed")), NearDedup()]
        return Pipeline(FileReader(tmp_path / "in", shard_bytes=20_000), steps, tmp_path / out)

    with pytest.raises(RuntimeError, match="simulated"):
        pipe("out").run(LocalExecutor(workers=1))
    done = list((tmp_path / "out" / "_assay" / "markers").glob("stage0-*.json"))
    assert len(done) >= 3  # the sub-shards before the one holding line 300
    (tmp_path / "armed").unlink()
    resumed = pipe("out").run(LocalExecutor(workers=1))
    clean = pipe("clean").run(LocalExecutor(workers=1))
    assert resumed.shards_skipped == len(done)
    assert _part_bytes(tmp_path / "out") == _part_bytes(tmp_path / "clean")
    assert [s.to_dict() for s in resumed.steps] == [s.to_dict() for s in clean.steps]


def test_shard_bytes_must_be_positive(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"text": "a"}\n')
    with pytest.raises(DataPipelineError, match="shard_bytes"):
        FileReader(tmp_path / "x.jsonl", shard_bytes=0).shards()
