"""Dataset loaders: every format, field mapping, and every error message (file, row, field)."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assay.core.dataset import (
    csv_dataset,
    hf_dataset,
    json_dataset,
    load_dataset,
    parquet_dataset,
    records_dataset,
)
from assay.core.fields import parse_fields
from assay.core.sample import Sample
from assay.errors import ConfigError, DatasetError

ROWS: list[dict[str, Any]] = [
    {"id": "q1", "question": "Capital of France?", "options": ["Rome", "Paris"], "answer": 1, "passage": "p1"},
    {"id": "q2", "question": "2+2?", "options": ["4", "5"], "answer": 0, "passage": "p1"},
    {"id": "q3", "question": "Largest ocean?", "options": ["Pacific", "Indian"], "answer": 0, "passage": "p2"},
]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def check_rows(samples: list[Sample]) -> None:
    assert [s.id for s in samples] == ["q1", "q2", "q3"]
    assert samples[0].input == "Capital of France?"
    assert samples[0].choices == ["Rome", "Paris"]
    assert samples[0].target == "1"  # an int label is kept as its index string
    assert samples[0].target_index() == 1
    assert samples[0].metadata == {"passage": "p1"}


# --- formats -------------------------------------------------------------------------------


def test_jsonl_defaults(tmp_path: Path) -> None:
    check_rows(json_dataset(write_jsonl(tmp_path / "d.jsonl", ROWS)))


def test_jsonl_skips_blank_lines_and_reads_bom(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("\ufeff" + json.dumps(ROWS[0]) + "\n\n" + json.dumps(ROWS[1]) + "\n", encoding="utf-8")
    assert [s.id for s in json_dataset(path)] == ["q1", "q2"]


def test_json_array_and_data_key_and_misnamed_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(ROWS))
    check_rows(json_dataset(tmp_path / "a.json"))
    (tmp_path / "b.json").write_text(json.dumps({"data": ROWS}))
    check_rows(load_dataset(tmp_path / "b.json"))
    check_rows(load_dataset(write_jsonl(tmp_path / "c.json", ROWS)))  # JSON Lines under a .json name


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in ROWS)
    check_rows(load_dataset(path))


def test_csv_with_json_choices(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        ["id", "question", "options", "answer", "passage"],
        [[r["id"], r["question"], json.dumps(r["options"]), r["answer"], r["passage"]] for r in ROWS],
    )
    check_rows(csv_dataset(path))
    check_rows(load_dataset(str(path)))


def test_csv_choices_from_several_columns_cli_form(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mmlu.csv", ["q", "A", "B", "C", "D", "ans"], [["1+1?", "1", "2", "3", "4", "B"]])
    [s] = load_dataset(path, fields=["input=q", "choices=A,B,C,D", "target=ans"])
    assert s.choices == ["1", "2", "3", "4"] and s.target_index() == 1 and s.metadata == {}


def test_tsv(tmp_path: Path) -> None:
    path = tmp_path / "d.tsv"
    path.write_text("question\tanswer\nhi?\tyes\n")
    [s] = load_dataset(path, format="csv", delimiter="\t")
    assert (s.input, s.target) == ("hi?", "yes")


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    check_rows(parquet_dataset(path))
    check_rows(load_dataset(path))


def test_records_and_samples(tmp_path: Path) -> None:
    check_rows(records_dataset(ROWS))
    samples = [Sample(input="a", id="x"), Sample(input="b", id="y")]
    assert records_dataset(samples) == samples
    assert load_dataset(ROWS)[2].id == "q3"


# --- field mapping -------------------------------------------------------------------------


def test_explicit_mapping_cluster_and_metadata(tmp_path: Path) -> None:
    rows = [{"text": "t1", "gold": ["a", "b"], "pid": 7, "extra": {"k": 1}, "metadata": {"source": "web"}}]
    [s] = records_dataset(rows, {"input": "text", "target": "gold", "cluster": "pid"})
    assert s.input == "t1" and s.target == ["a", "b"] and s.cluster == "7"
    assert s.metadata == {"source": "web", "extra": {"k": 1}}  # nested metadata merged, unmapped columns kept
    assert s.id.startswith("s-")  # no id column: a content hash


def test_default_columns_prompt_and_label() -> None:
    [s] = records_dataset([{"prompt": "p", "label": True}])
    assert s.input == "p" and s.target == "true"


def test_chat_message_input() -> None:
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    [s] = records_dataset([{"input": msgs, "target": "hello"}])
    assert s.input == msgs


def test_content_ids_are_stable_and_repeats_numbered() -> None:
    rows = [{"input": "same"}, {"input": "same"}, {"input": "other"}]
    first, second = records_dataset(rows), records_dataset(rows)
    assert [s.id for s in first] == [s.id for s in second]
    assert first[1].id == first[0].id + "-2"
    assert len({s.id for s in first}) == 3


def test_parse_fields_forms() -> None:
    assert parse_fields({"input": "q"}) == {"input": "q"}
    assert parse_fields(["input=q", "choices=a,b"]) == {"input": "q", "choices": ("a", "b")}
    with pytest.raises(ConfigError, match="unknown sample field 'question'"):
        parse_fields({"question": "q"})
    with pytest.raises(ConfigError, match="bad field mapping 'input'"):
        parse_fields(["input"])
    with pytest.raises(ConfigError, match="only 'choices'"):
        parse_fields({"input": ["a", "b"]})
    with pytest.raises(ConfigError, match="mapping or a list"):
        parse_fields("input=q")


def test_100k_rows(tmp_path: Path) -> None:
    # speed is a benchmark's business; this checks that a large file loads whole and in order
    path = tmp_path / "big.jsonl"
    row = '{{"id": "r{i}", "question": "What is {i}?", "choices": ["a", "b", "c", "d"], "answer": "B", "m": 1}}\n'
    path.write_text("".join(row.format(i=i) for i in range(100_000)))
    samples = json_dataset(path)
    assert len(samples) == 100_000 and samples[-1].id == "r99999" and samples[500].metadata == {"m": 1}


# --- errors --------------------------------------------------------------------------------


def test_missing_mapped_field_names_file_line_and_fields(tmp_path: Path) -> None:
    rows = [{"question": "a", "answer": "x"}] * 16 + [{"prompt": "b", "answer": "y"}]
    path = write_jsonl(tmp_path / "data.jsonl", rows)
    with pytest.raises(DatasetError) as info:
        json_dataset(path, fields={"input": "question"})
    msg = str(info.value)
    assert "line 17 of data.jsonl has no field 'question'" in msg
    assert "fields present: 'prompt', 'answer'" in msg


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        pytest.param(
            [{"text": "a"}],
            r"line 1 of data.jsonl has no input field.*'question'.*fields present: 'text'",
            id="no-input-field-lists-what-was-tried",
        ),
        pytest.param(
            [{"input": "a"}, ["not", "an", "object"]],
            r"line 2 of data.jsonl is a list, not an object",
            id="row-not-an-object",
        ),
        pytest.param(
            [{"input": "a", "choices": ["x"]}, {"input": "b", "choices": 3}],
            r"line 2 of data.jsonl: field 'choices' \(choices\) is not a list",
            id="choices-not-a-list",
        ),
        pytest.param(
            [{"id": "x", "input": "a"}, {"id": "y", "input": "b"}, {"id": "x", "input": "c"}],
            r"duplicate sample id 'x': lines 1 and 3 of data.jsonl",
            id="duplicate-ids-name-both-rows",
        ),
    ],
)
def test_bad_jsonl_rows_name_the_line(tmp_path: Path, rows: list[Any], match: str) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", rows)
    with pytest.raises(DatasetError, match=match):
        json_dataset(path)


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        pytest.param(
            "data.jsonl",
            '{"input": "a"}\n{"input": "b"}\n{"input": "c",\n',
            r"invalid JSON on line 3 of data.jsonl",
            id="invalid-json-line",
        ),
        pytest.param(
            "data.json",
            '[{"input": "a"},\n {"input": }]',
            r"invalid JSON in data.json at line 2",
            id="invalid-json-array",
        ),
        pytest.param(
            "data.json", '"just a string"', r"data.json holds a JSON str, not an array", id="json-not-an-array"
        ),
        pytest.param(
            "data.csv",
            "question,answer\na,b\nc,d,e\n",
            r"row 2 of data.csv has more cells.*line 3",
            id="csv-ragged-row",
        ),
    ],
)
def test_malformed_file_names_the_line(tmp_path: Path, name: str, text: str, match: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    load = csv_dataset if name.endswith(".csv") else json_dataset
    with pytest.raises(DatasetError, match=match):
        load(path)


@pytest.mark.parametrize(
    ("header", "rows", "fields", "match"),
    [
        pytest.param(
            ["question", "choices"],
            [["a", '["x", "y"]'], ["b", '["x", "y"']],
            None,
            r"row 2 of data.csv: field 'choices'.*not valid JSON",
            id="choices-bad-json",
        ),
        pytest.param(
            ["q", "a"],
            [["x", "y"]],
            {"input": "question"},
            r"row 1 of data.csv has no field 'question'; fields present: 'q', 'a'",
            id="missing-mapped-column",
        ),
    ],
)
def test_bad_csv_rows_name_the_row(
    tmp_path: Path, header: list[str], rows: list[list[Any]], fields: dict[str, str] | None, match: str
) -> None:
    path = write_csv(tmp_path / "data.csv", header, rows)
    with pytest.raises(DatasetError, match=match):
        csv_dataset(path, fields=fields)


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "empty.json"])
def test_empty_dataset(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("[]" if name.endswith(".json") else "")
    with pytest.raises(DatasetError, match=r"empty|no rows"):
        load_dataset(path)


def test_header_only_csv_is_empty(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ["question", "answer"], [])
    with pytest.raises(DatasetError, match=r"dataset data.csv has no rows"):
        csv_dataset(path)


def test_missing_file_names_path(tmp_path: Path) -> None:
    for name in ("nope.jsonl", "nope.csv", "nope.parquet"):
        with pytest.raises(DatasetError, match=f"not found: .*{name}"):
            load_dataset(tmp_path / name)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DatasetError, match=r"binary.jsonl"):
        json_dataset(path)
    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_text("not parquet")
    with pytest.raises(DatasetError, match=r"cannot read Parquet file .*bad.parquet"):
        parquet_dataset(bad_parquet)


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("x")
    with pytest.raises(DatasetError, match="cannot tell the format"):
        load_dataset(path)


def test_messages_must_be_text_or_chat() -> None:
    with pytest.raises(DatasetError, match=r"record 1 of records: field 'input' \(input\) is NoneType"):
        records_dataset([{"input": None}])


# --- Hugging Face --------------------------------------------------------------------------


def test_hf_hub_fails_fast_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine reaches package registries only; the Hub probe must give up within seconds.
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    start = time.perf_counter()
    with pytest.raises(DatasetError) as info:
        load_dataset("hf://cais/mmlu?name=anatomy", split="test")
    assert time.perf_counter() - start < 8.0
    assert "cais/mmlu" in str(info.value) and "local file" in str(info.value)


def test_hf_offline_mode_without_cache_is_a_dataset_error(tmp_path: Path) -> None:
    # datasets reads HF_DATASETS_OFFLINE when imported, so the check runs in a fresh interpreter.
    code = (
        "from assay.core.dataset import hf_dataset\n"
        "from assay.errors import DatasetError\n"
        "try:\n"
        "    hf_dataset('assay-no-such/dataset-xyz', split='test')\n"
        "except DatasetError as e:\n"
        "    print(e)\n"
    )
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - start < 20.0
    assert "could not load split 'test' of hf://assay-no-such/dataset-xyz" in done.stdout, done.stderr
    assert "offline mode is on" in done.stdout


def test_hf_source_needs_split_and_known_options() -> None:
    with pytest.raises(DatasetError, match="no split given"):
        load_dataset("hf:org/name")
    with pytest.raises(DatasetError, match="unknown option"):
        load_dataset("hf://org/name?split=test&colour=red")


def test_hf_local_folder_through_real_datasets(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    folder = tmp_path / "local_ds"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", ROWS)
    samples = hf_dataset(str(folder), split="train", fields={"cluster": "passage"})
    assert [s.id for s in samples] == ["q1", "q2", "q3"]
    assert samples[0].choices == ["Rome", "Paris"] and samples[0].cluster == "p1"
    assert samples[0].target_index() == 1
