"""`assay run --temperature/--max-tokens/--top-p`: sampling overrides reach the server, are recorded in the
run spec, survive a resume, apply to a suite's generating tasks only, and bad values are refused."""

import json
from pathlib import Path

import pytest
from tests.cli_helpers import run_cli
from tests.servers.faulty_openai import FaultyOpenAIServer

from assay.core.sampling import check_sampling
from assay.errors import ConfigError

TASKS = """
from assay import Sample, Task, task
from assay.models.base import GenerateConfig
from assay.scorers import exact_match

@task
def letters():
    samples = [Sample(id=f"q{i}", input=f"Question {i}: pick A, B, C or D.", target="ABCD"[i % 4]) for i in range(6)]
    return Task(dataset=samples, scorer=exact_match(), config=GenerateConfig(max_tokens=4))
"""


def test_sampling_overrides_reach_the_server_and_survive_resume(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS)
    log_dir = tmp_path / "runs"
    with FaultyOpenAIServer() as server:
        args = [f"{tmp_path / 'tasks.py'}:letters", "--model", "openai/t", "--base-url", server.url, "-q"]
        sampled = ["--temperature", "0.7", "--max-tokens", "3", "--top-p", "0.9", "--epochs", "2", "--no-cache"]
        done = run_cli("run", *args, *sampled, "--log-dir", str(log_dir))
        assert done.returncode == 0, done.stderr
        body = server.last_request["body"]
        assert (body["temperature"], body["max_tokens"], body["top_p"]) == (0.7, 3, 0.9)
        assert body["seed"] in (1, 2)  # sampled requests carry the run seed + epoch, so reruns repeat
        (run_dir,) = [p for p in log_dir.iterdir() if p.is_dir()]
        spec = json.loads((run_dir / "spec.json").read_text())
        assert spec["run"]["sampling"] == {"temperature": 0.7, "max_tokens": 3, "top_p": 0.9}
        assert spec["task"]["config"]["temperature"] == 0.7 and spec["task"]["config"]["max_tokens"] == 3

        # an interrupted run resumes with the same sampling, not the task's defaults
        lines = (run_dir / "samples.jsonl").read_text().splitlines(keepends=True)
        (run_dir / "samples.jsonl").write_text("".join(lines[:5]))
        server.reset()
        resumed = run_cli("run", "--resume", str(run_dir), "-q")
        assert resumed.returncode == 0, resumed.stderr
        body = server.last_request["body"]
        assert (body["temperature"], body["max_tokens"], body["top_p"]) == (0.7, 3, 0.9)
        assert len((run_dir / "samples.jsonl").read_text().splitlines()) == 12

        plain = run_cli("run", *args, "--log-dir", str(tmp_path / "plain"))
        assert plain.returncode == 0, plain.stderr
        body = server.last_request["body"]
        assert body["temperature"] == 0.0 and body["max_tokens"] == 4 and "top_p" not in body


def test_a_suite_applies_sampling_to_its_generating_tasks_only(tmp_path: Path) -> None:
    with FaultyOpenAIServer() as server:
        args = ["run", "alignment", "--model", "openai/t", "--base-url", server.url, "--limit", "4", "-q"]
        done = run_cli(*args, "--temperature", "0.5", "--epochs", "2", "--log-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    dirs = {json.loads(f.read_text())["task"]["name"]: f.parent for f in tmp_path.glob("*/spec.json")}
    specs = {name: json.loads((d / "spec.json").read_text()) for name, d in dirs.items()}
    assert specs["sycophancy"]["task"]["config"]["temperature"] == 0.5
    assert specs["sycophancy"]["run"]["sampling"] == {"temperature": 0.5}
    assert specs["truthfulqa_mc"]["run"]["sampling"] == {}  # scored by log-likelihood: nothing to sample
    epochs = [json.loads(line)["epoch"] for line in (dirs["sycophancy"] / "samples.jsonl").read_text().splitlines()]
    assert sorted(epochs) == [1] * 4 + [2] * 4  # --epochs reaches the suite's tasks


def test_per_task_options_are_refused_on_a_suite(tmp_path: Path) -> None:
    r = run_cli("run", "robustness", "--model", "openai/t", "--perturb", "typo", "--log-dir", str(tmp_path))
    assert r.returncode == 2 and "--perturb cannot apply to the robustness suite" in r.stderr
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_sampling_on_a_loglikelihood_task_or_out_of_range_is_refused(tmp_path: Path) -> None:
    r = run_cli("run", "mmlu", "--model", "openai/t", "--temperature", "0.7", "--log-dir", str(tmp_path))
    assert r.returncode == 2 and "log-likelihood" in r.stderr and "-T mode=generate" in r.stderr
    r = run_cli("run", "mmlu", "--model", "openai/t", "--top-p", "1.5", "--log-dir", str(tmp_path))
    assert r.returncode == 2 and "--top-p=1.5 is out of range" in r.stderr and "(0, 1]" in r.stderr
    assert not list(tmp_path.glob("*/spec.json"))  # refused before any run started


def test_sampling_on_a_suite_that_generates_nothing_is_refused(tmp_path: Path) -> None:
    r = run_cli("run", "robustness", "--model", "openai/t", "--temperature", "0.9", "--log-dir", str(tmp_path))
    assert r.returncode == 2 and "no task of the robustness suite generates text" in r.stderr
    assert not list(tmp_path.iterdir())


def test_sampling_values_are_checked_in_python_too() -> None:
    with pytest.raises(ConfigError, match="--max-tokens must be a whole number"):
        check_sampling({"max_tokens": 64.9})
    with pytest.raises(ConfigError, match="--max-tokens must be a whole number"):
        check_sampling({"max_tokens": float("inf")})
    with pytest.raises(ConfigError, match="unknown sampling setting 'temp'"):
        check_sampling({"temp": 0.5})
    assert check_sampling({"max_tokens": "64", "top_p": None}) == {"max_tokens": 64}
