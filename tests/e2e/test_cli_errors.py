"""Bad input at the command line: a clear error, a non-zero exit, no traceback, nothing half-written."""

from pathlib import Path

import pytest
from tests.cli_helpers import run_cli

TASK_PY = """
from assay import Task, task, load_dataset
from assay.scorers import exact_match

@task
def from_file(path: str):
    return Task(dataset=lambda: load_dataset(path), scorer=exact_match())
"""


def assert_clean_error(result, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error:")
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.fixture
def task_file(tmp_path: Path) -> Path:
    f = tmp_path / "tasks.py"
    f.write_text(TASK_PY)
    return f


def test_unknown_task(tmp_path: Path) -> None:
    assert_clean_error(
        run_cli("run", "mmul", "--model", "openai/x", "--log-dir", str(tmp_path)), "unknown task 'mmul'", "mmlu"
    )


def test_unknown_provider(tmp_path: Path) -> None:
    r = run_cli("run", "mmlu", "--model", "nosuch/model", "--limit", "1", "--log-dir", str(tmp_path / "runs"))
    assert_clean_error(r, "unknown model provider 'nosuch'", "openai")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_model_without_provider(tmp_path: Path) -> None:
    assert_clean_error(
        run_cli("run", "mmlu", "--model", "gpt4", "--log-dir", str(tmp_path)), "does not name a provider"
    )


def test_bad_model_argument(tmp_path: Path) -> None:
    r = run_cli("run", "mmlu", "--model", "openai/x", "--model-arg", "temperature", "--log-dir", str(tmp_path))
    assert_clean_error(r, "bad model argument 'temperature'", "key=value")
    r = run_cli("run", "mmlu", "--model", "openai/x", "-T", "=3", "--log-dir", str(tmp_path))
    assert_clean_error(r, "bad task argument '=3'", "-T mode=generate")


def test_empty_dataset(tmp_path: Path, task_file: Path) -> None:
    data = tmp_path / "empty.jsonl"
    data.write_text("")
    r = run_cli(
        "run",
        f"{task_file}:from_file",
        "-T",
        f"path={data}",
        "--model",
        "openai/x",
        "--log-dir",
        str(tmp_path / "runs"),
    )
    assert_clean_error(r, "empty")


def test_missing_field_names_file_row_and_field(tmp_path: Path, task_file: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"input": "a", "target": "b"}\n{"prompt_typo": "c", "target": "d"}\n')
    r = run_cli(
        "run", f"{task_file}:from_file", "-T", f"path={data}", "--model", "openai/x", "--log-dir", str(tmp_path)
    )
    assert_clean_error(r, "data.jsonl", "2")


def test_unreadable_file(tmp_path: Path, task_file: Path) -> None:
    r = run_cli("run", f"{task_file}:from_file", "-T", f"path={tmp_path / 'nope.jsonl'}", "--model", "openai/x")
    assert_clean_error(r, "nope.jsonl")


def test_invalid_yaml(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text("name: x\n  dataset: : [\n")
    assert_clean_error(run_cli("run", str(f), "--model", "openai/x"), "invalid YAML", "t.yaml, line")


def test_show_on_a_non_run_directory(tmp_path: Path) -> None:
    assert_clean_error(run_cli("show", str(tmp_path)), "not an assay run directory")


def test_run_without_model(tmp_path: Path) -> None:
    assert_clean_error(run_cli("run", "mmlu"), "--model")


def test_unknown_task_argument_lists_what_the_task_takes(tmp_path: Path) -> None:
    r = run_cli("run", "mmlu", "--model", "openai/x", "-T", "nope=1", "--log-dir", str(tmp_path))
    assert_clean_error(r, "unexpected keyword argument 'nope'", "it takes: subjects=None, fewshot=0, mode=")
