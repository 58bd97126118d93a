"""Pipeline YAML and the `assay data` CLI: runs, reports, and errors that name the offending key."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli_helpers import run_cli
from tests.data.data_fixtures import read_output, write_shards
from typer.testing import CliRunner

from assay.cli import data as cli_data
from assay.cli.data import data_app
from assay.data import DataPipelineError, FileReader, load_pipeline
from assay.data.stats import load_stats

YAML = """
input: {path: in, on_error: skip}
output: {path: out, format: jsonl.zst}
executor: {kind: local, workers: 2}
steps:
  - exact_dedup
  - pii: {mode: scrub}
  - near_dedup: {threshold: 0.8}
"""


def test_cli_run_and_report(tmp_path: Path) -> None:
    docs = [{"text": f"write to person{i % 5}@example.com about item {i % 5} today please"} for i in range(40)]
    write_shards(docs, tmp_path / "in", 2)
    (tmp_path / "p.yaml").write_text(YAML)
    runner = CliRunner()
    res = runner.invoke(data_app, ["run", str(tmp_path / "p.yaml")])
    assert res.exit_code == 0, res.output
    assert "exact_dedup" in res.output
    res = runner.invoke(data_app, ["report", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0 and '"pii:email": 5' in res.output
    res = runner.invoke(data_app, ["dedup", str(tmp_path / "in"), "-o", str(tmp_path / "d"), "--workers", "1"])
    assert res.exit_code == 0 and (tmp_path / "d" / "stats.json").exists()


def test_cli_error_without_traceback(tmp_path: Path) -> None:
    # through the real entry point: `assay.cli.main` turns user errors into "error: ..." and exit code 2
    res = run_cli("data", "report", str(tmp_path))
    assert res.returncode == 2, res.stderr
    assert "error: " in res.stderr and "no pipeline statistics" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("yaml_text", "where"),
    [
        (YAML.replace("threshold", "treshold"), "steps[2].near_dedup.treshold"),
        (YAML.replace("- exact_dedup", "- dedupe"), "steps[0]"),
        (YAML.replace("executor:", "executr:"), "executr"),
        (YAML.replace("jsonl.zst", "csv"), "output.format"),
        (YAML.replace("near_dedup: {threshold: 0.8}", "near_dedup: {bands: 99}"), "steps: near_dedup"),
    ],
)
def test_yaml_errors_name_the_key(tmp_path: Path, yaml_text: str, where: str) -> None:
    (tmp_path / "p.yaml").write_text(yaml_text)
    with pytest.raises(DataPipelineError) as e:
        load_pipeline(tmp_path / "p.yaml")
    assert where in (e.value.where or "")


def test_contamination_step_in_yaml_uses_resolver(tmp_path: Path) -> None:
    from assay.core.sample import Sample

    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron"
    (tmp_path / "p.yaml").write_text(
        "input: in\noutput: out\nsteps:\n  - contamination: {tasks: [toy], action: drop}\n"
    )
    write_shards([{"text": "intro " + text}, {"text": "clean text"}], tmp_path / "in", 1)
    pipe, ex = load_pipeline(
        tmp_path / "p.yaml", resolve=lambda names: {n: [Sample(input=text, id="q1")] for n in names}
    )
    stats = pipe.run(ex)
    assert stats.steps[0].dropped == {"contamination": 1}
    assert (tmp_path / "out" / "contamination.json").exists()


def test_cli_shard_bytes_splits_one_file_with_the_same_output(tmp_path: Path) -> None:
    docs = [
        {"id": f"d{i}", "text": f"record {i % 30} says the same thing about item {i % 30} again"} for i in range(300)
    ]
    write_shards(docs, tmp_path / "in", 1)  # one uncompressed file of ~20 KB
    runner = CliRunner()
    args = ["dedup", str(tmp_path / "in"), "--workers", "2", "--format", "jsonl"]
    res = runner.invoke(data_app, [*args, "-o", str(tmp_path / "split"), "--shard-bytes", "2000"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(data_app, [*args, "-o", str(tmp_path / "whole"), "--shard-bytes", "0"])
    assert res.exit_code == 0, res.output
    split, whole = load_stats(tmp_path / "split"), load_stats(tmp_path / "whole")
    assert split.shards > 5 and whole.shards == 1
    assert read_output(tmp_path / "split") == read_output(tmp_path / "whole")
    assert [d["id"] for d in read_output(tmp_path / "split")] == [f"d{i}" for i in range(30)]  # first copies
    res = runner.invoke(data_app, [*args, "-o", str(tmp_path / "bad"), "--shard-bytes", "-1"])
    assert res.exit_code == 2 and "shard-bytes" in res.output


def test_cli_contamination_takes_shard_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.core.sample import Sample

    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron"
    monkeypatch.setattr(cli_data, "_resolve_tasks", lambda names: {n: [Sample(input=text, id="q1")] for n in names})
    counts: list[int] = []
    shards = FileReader.shards
    monkeypatch.setattr(FileReader, "shards", lambda self: counts.append(len(shards(self))) or shards(self))
    write_shards([{"text": f"filler line {i}"} for i in range(200)] + [{"text": "intro " + text}], tmp_path / "in", 1)
    out = tmp_path / "report.json"
    res = CliRunner().invoke(
        data_app,
        ["contamination", "--corpus", str(tmp_path / "in"), "--tasks", "toy", "-o", str(out), "--shard-bytes", "500"],
    )
    assert res.exit_code == 0, res.output
    assert "toy: 1 of 1 samples contaminated" in res.output and out.exists()
    assert counts and min(counts) > 5  # the one file was read as byte-range sub-shards
