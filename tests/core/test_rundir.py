import json
from pathlib import Path

import pytest

from assay.core.rundir import SampleLog, cut_torn_tail, iter_records, new_run_dir, read_spec, write_json_atomic
from assay.errors import RunDirError


def test_new_run_dirs_are_distinct(tmp_path: Path) -> None:
    a = new_run_dir(tmp_path, "mmlu", "hf/smollm2")
    b = new_run_dir(tmp_path, "mmlu", "hf/smollm2")
    assert a != b and a.is_dir() and b.is_dir()
    assert "hf-smollm2" in a.name


def test_sample_log_appends_and_reads_back(tmp_path: Path) -> None:
    log = SampleLog(tmp_path)
    for i in range(5):
        log.append({"sample_id": f"s{i}", "epoch": 1, "scores": {"accuracy": i % 2}})
    assert list(iter_records(tmp_path)) == []  # nothing is visible before a flush
    log.flush()
    log.append({"sample_id": "s5", "epoch": 1})
    log.close()
    assert [r["sample_id"] for r in iter_records(tmp_path)] == [f"s{i}" for i in range(6)]


def test_torn_last_line_is_ignored_and_cut(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    good = json.dumps({"sample_id": "a", "epoch": 1}) + "\n"
    path.write_text(good + '{"sample_id": "b", "ep')
    assert [r["sample_id"] for r in iter_records(tmp_path)] == ["a"]
    removed = cut_torn_tail(tmp_path)
    assert removed == len('{"sample_id": "b", "ep')
    assert path.read_text() == good
    assert cut_torn_tail(tmp_path) == 0


def test_torn_single_line_file_is_emptied(tmp_path: Path) -> None:
    (tmp_path / "samples.jsonl").write_text('{"sample_id": "x"')
    cut_torn_tail(tmp_path)
    assert (tmp_path / "samples.jsonl").read_text() == ""


def test_corrupt_middle_line_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "samples.jsonl").write_text('{"sample_id": "a"}\nnot json\n{"sample_id": "c"}\n')
    with pytest.raises(RunDirError, match=r"line 2"):
        list(iter_records(tmp_path))


def test_atomic_json_leaves_no_temp_files(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "spec.json", {"a": 1})
    write_json_atomic(tmp_path / "spec.json", {"a": 2})
    assert json.loads((tmp_path / "spec.json").read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["spec.json"]


def test_read_spec_of_a_non_run_directory(tmp_path: Path) -> None:
    with pytest.raises(RunDirError, match="not an assay run directory"):
        read_spec(tmp_path)
