"""Readers and writers: formats, directories and globs, streaming, and clear errors on bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard
from tests.data.data_fixtures import read_output, write_shards

from assay.data import DataPipelineError, FileReader, HFReader, Pipeline, StepStats
from assay.data.readers import Shard, read_jsonl
from assay.data.writers import make_writer

DOCS = [{"id": f"d{i}", "text": f"document number {i} says hello", "lang": "en"} for i in range(10)]


def _read_all(reader: FileReader) -> tuple[list[str], StepStats]:
    stats = StepStats("read")
    ids = [d.id for sh in reader.shards() for d in reader.read(sh, stats)]
    return ids, stats


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "jsonl.zst", "parquet"])
def test_round_trip_every_format(tmp_path: Path, fmt: str) -> None:
    write_shards(DOCS, tmp_path / "in", 2)
    Pipeline(FileReader(tmp_path / "in"), [], tmp_path / "out", writer=make_writer(fmt)).run()
    files = sorted((tmp_path / "out").glob("part-*"))
    assert [f.name for f in files] == [f"part-0000{i}.{fmt}" for i in range(2)]
    ids, _ = _read_all(FileReader(tmp_path / "out"))
    assert sorted(ids) == sorted(d["id"] for d in DOCS)
    stats = StepStats("read")
    doc = next(FileReader(files[0]).read(FileReader(files[0]).shards()[0], stats))
    assert doc.metadata["lang"] == "en"


def test_zstd_and_gzip_inputs_and_globs(tmp_path: Path) -> None:
    lines = "".join(json.dumps(d) + "\n" for d in DOCS).encode()
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    with gzip.open(tmp_path / "b.jsonl.gz", "wb") as f:
        f.write(lines)
    ids, _ = _read_all(FileReader(str(tmp_path / "*.jsonl.*")))
    assert len(ids) == 20
    assert len(FileReader([tmp_path / "a.jsonl.zst", tmp_path / "b.jsonl.gz"]).shards()) == 2


def test_missing_id_gets_stable_line_id(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"text": "a"}\n\n{"text": "b"}\n')
    ids, _ = _read_all(FileReader(tmp_path / "x.jsonl"))
    assert ids == ["x:1", "x:3"]


def test_corrupt_gzip_names_the_file(tmp_path: Path) -> None:
    good = gzip.compress(("".join(json.dumps(d) + "\n" for d in DOCS * 50)).encode())
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(good[: len(good) // 2])  # truncated mid-stream
    with pytest.raises(DataPipelineError) as e:
        _read_all(FileReader(bad))
    assert "bad.jsonl.gz" in str(e.value) and "corrupt" in str(e.value)
    ids, stats = _read_all(FileReader(bad, on_error="skip"))
    assert stats.counters["skipped:corrupt_file"] == 1 and 0 < len(ids) < 500


def test_invalid_json_line_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text('{"text": "ok"}\n{"text": "broken"\n{"text": "fine"}\n')
    with pytest.raises(DataPipelineError) as e:
        _read_all(FileReader(p))
    assert e.value.where == f"{p}, line 2"
    ids, stats = _read_all(FileReader(p, on_error="skip"))
    assert ids == ["x:1", "x:3"] and stats.counters["skipped:invalid_json"] == 1


def test_missing_text_field(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text('{"text": "ok"}\n{"body": "no text"}\n')
    with pytest.raises(DataPipelineError, match="no text field 'text'") as e:
        _read_all(FileReader(p))
    assert "line 2" in (e.value.where or "")
    _, stats = _read_all(FileReader(p, on_error="skip"))
    assert stats.counters["skipped:missing_text"] == 1
    ids, _ = _read_all(FileReader(p, text_key="body", on_error="skip"))
    assert ids == ["x:2"]


def test_empty_shard(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "ok"}\n')
    (tmp_path / "b.jsonl").write_text("")
    with pytest.raises(DataPipelineError, match="empty") as e:
        _read_all(FileReader(tmp_path))
    assert str(tmp_path / "b.jsonl") in str(e.value)
    ids, stats = _read_all(FileReader(tmp_path, on_error="skip"))
    assert ids == ["a:1"] and stats.counters["skipped:empty_shard"] == 1


def test_errors_cross_process_boundary_intact(tmp_path: Path) -> None:
    write_shards(DOCS, tmp_path / "in", 2)
    (tmp_path / "in" / "shard-001.jsonl").write_text('{"text": 1}\n')
    from assay.data import LocalExecutor

    with pytest.raises(DataPipelineError) as e:
        Pipeline(FileReader(tmp_path / "in"), [], tmp_path / "out").run(LocalExecutor(workers=2))
    assert e.value.where == f"{tmp_path / 'in' / 'shard-001.jsonl'}, line 1"
    # the failed shard left nothing half-written
    assert [p.name for p in (tmp_path / "out").glob("part-*")] == ["part-00000.jsonl.gz"]


def test_no_input(tmp_path: Path) -> None:
    with pytest.raises(DataPipelineError, match="does not exist"):
        FileReader(tmp_path / "nope").shards()
    with pytest.raises(DataPipelineError, match="no input files"):
        FileReader(str(tmp_path / "*.jsonl")).shards()


def test_streaming_reads_lazily(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text('{"text": "ok"}\n' + "not json\n")
    it = read_jsonl(Shard(0, "x", str(p)), StepStats("read"))
    assert next(it).text == "ok"  # the bad second line is not read until asked for
    with pytest.raises(DataPipelineError):
        next(it)


def test_hf_reader_real_loader(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    write_shards(DOCS, tmp_path / "in", 1)
    reader = HFReader("json", data_files=str(tmp_path / "in" / "shard-000.jsonl"), num_shards=3)
    Pipeline(reader, [], tmp_path / "out").run()
    assert sorted(d["id"] for d in read_output(tmp_path / "out")) == sorted(d["id"] for d in DOCS)


def test_hf_reader_offline_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    reader = HFReader("assay-test/no-such-dataset-xyz")
    with pytest.raises(DataPipelineError, match="offline") as e:
        list(reader.read(reader.shards()[0], StepStats("read")))
    assert "hf:assay-test/no-such-dataset-xyz" in str(e.value)
