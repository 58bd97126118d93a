"""`assay run` end to end against a real OpenAI-compatible server on loopback: logs, results, show,
export, several models, the cache, transient faults, outages, kill -9, Ctrl-C, and resume."""

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from tests.cli_helpers import ASSAY, records, run_cli, run_dirs, wait_for_records
from tests.servers.faulty_openai import FaultyOpenAIServer

TASKS = '''
from assay import Sample, Task, task
from assay.models.base import GenerateConfig
from assay.scorers import exact_match

@task
def letters(n: int = 40):
    """Questions whose answer letter the test server derives from the prompt."""
    samples = [Sample(id=f"q{i:04d}", input=f"Question {i}: pick A, B, C or D.", target="ABCD"[i % 4],
                      metadata={"topic": f"t{i % 5}"}) for i in range(int(n))]
    return Task(dataset=samples, scorer=exact_match(), cluster_by="topic",
                config=GenerateConfig(max_tokens=4))
'''


@pytest.fixture
def server() -> Iterator[FaultyOpenAIServer]:
    with FaultyOpenAIServer() as s:
        yield s


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    f = tmp_path / "tasks.py"
    f.write_text(TASKS)
    return f


def base_args(tasks_file: Path, server: FaultyOpenAIServer, log_dir: Path, n: int = 40) -> list[str]:
    return [
        "run",
        f"{tasks_file}:letters",
        "-T",
        f"n={n}",
        "--model",
        "openai/test-model",
        "--base-url",
        server.url,
        "--log-dir",
        str(log_dir),
        "--quiet",
    ]


def test_run_show_export(tmp_path: Path, server: FaultyOpenAIServer, tasks_file: Path) -> None:
    r = run_cli(*base_args(tasks_file, server, tmp_path / "runs"))
    assert r.returncode == 0, r.stderr
    [run_dir] = run_dirs(tmp_path / "runs")
    assert str(run_dir) in r.stdout and "accuracy" in r.stdout
    spec = json.loads((run_dir / "spec.json").read_text())
    assert spec["status"] == "complete" and spec["task"]["dataset_size"] == 40
    assert spec["model"]["name"] == "openai/test-model" and spec["run"]["seed"] == 0
    recs = records(run_dir)
    assert sorted(x["sample_id"] for x in recs) == [f"q{i:04d}" for i in range(40)]
    assert all(x["prompt"] and "text" in x["response"] for x in recs)
    results = json.loads((run_dir / "results.json").read_text())
    acc = results["metrics"]["accuracy"]
    expected = sum(x["scores"]["accuracy"] for x in recs) / 40
    assert acc["value"] == pytest.approx(expected)
    assert acc["ci_low"] <= acc["value"] <= acc["ci_high"] and acc["n"] == 40 and acc["n_clusters"] == 5
    assert set(results["groups"]) == {f"t{i}" for i in range(5)}
    shown = run_cli("show", str(run_dir))
    assert shown.returncode == 0 and "clustered" in shown.stdout and f"{acc['value']:.4f}" in shown.stdout
    exported = run_cli("export", str(run_dir), "--format", "parquet")
    assert exported.returncode == 0, exported.stderr
    parquet = exported.stdout.strip()
    n, total = duckdb.sql(f"SELECT count(*), sum(score_accuracy) FROM '{parquet}'").fetchall()[0]
    assert n == 40 and total == pytest.approx(expected * 40)


def test_two_models_on_the_same_samples_and_cache(tmp_path: Path, server: FaultyOpenAIServer, tasks_file: Path) -> None:
    args = [*base_args(tasks_file, server, tmp_path / "runs"), "--model", "openai/other-model"]
    assert run_cli(*args).returncode == 0
    first = server.stats()["requests"]
    assert first == 80
    a, b = run_dirs(tmp_path / "runs")
    assert {x["sample_id"] for x in records(a)} == {x["sample_id"] for x in records(b)}
    compared = run_cli("compare", str(a), str(b))
    assert compared.returncode == 0 and "paired" in compared.stdout
    # the same runs again: every answer comes from the cache, the server sees nothing
    again = run_cli(*[x if x != str(tmp_path / "runs") else str(tmp_path / "runs2") for x in args])
    assert again.returncode == 0, again.stderr
    assert server.stats()["requests"] == first
    c, _ = run_dirs(tmp_path / "runs2")
    assert all(x["cached"] for x in records(c))
    assert (
        json.loads((c / "results.json").read_text())["metrics"]
        == json.loads((a / "results.json").read_text())["metrics"]
    )


def test_transient_faults_do_not_change_results(tmp_path: Path, server: FaultyOpenAIServer, tasks_file: Path) -> None:
    clean = run_cli(*base_args(tasks_file, server, tmp_path / "clean", n=500), "--no-cache", "--max-connections", "64")
    assert clean.returncode == 0, clean.stderr
    server.reset()
    server.configure(fail_rate=0.2, slow_s=3.0, retry_after=0.05)
    faulty = run_cli(
        *base_args(tasks_file, server, tmp_path / "faulty", n=500),
        "--no-cache",
        "--max-connections",
        "64",
        "--timeout",
        "1",
        "--max-retries",
        "10",
    )
    assert faulty.returncode == 0, faulty.stderr
    stats = server.stats()
    assert sum(stats["faults"].values()) > 50  # the faults really happened
    [c], [f] = run_dirs(tmp_path / "clean"), run_dirs(tmp_path / "faulty")
    answers = lambda d: {x["sample_id"]: (x["response"]["text"], x["scores"]) for x in records(d)}  # noqa: E731
    assert answers(c) == answers(f) and len(answers(f)) == 500
    assert (
        json.loads((c / "results.json").read_text())["metrics"]
        == json.loads((f / "results.json").read_text())["metrics"]
    )


def assert_complete_once(run_dir: Path, n: int) -> None:
    ids = [x["sample_id"] for x in records(run_dir)]
    assert len(ids) == n and len(set(ids)) == n
    assert json.loads((run_dir / "spec.json").read_text())["status"] == "complete"
    assert (run_dir / "results.json").is_file()


def test_kill_9_then_resume(tmp_path: Path, server: FaultyOpenAIServer, tasks_file: Path) -> None:
    server.configure(latency_ms=40)
    log_dir = tmp_path / "runs"
    proc = subprocess.Popen([*ASSAY, *base_args(tasks_file, server, log_dir, n=200), "--max-connections", "4"])
    run_dir = wait_for_records(log_dir, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {x["sample_id"]: x["prompt"] for x in records(run_dir)} if run_dir else {}
    assert 30 <= len(finished) < 200
    assert json.loads((run_dir / "spec.json").read_text())["status"] == "running"
    resumed = run_cli("run", "--resume", str(run_dir), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert_complete_once(run_dir, 200)
    per_prompt = server.stats()["per_prompt"]
    assert all(per_prompt[prompt] == 1 for prompt in finished.values())  # no finished sample asked twice


def test_outage_stops_with_a_clear_error_then_resumes(
    tmp_path: Path, server: FaultyOpenAIServer, tasks_file: Path
) -> None:
    server.configure(latency_ms=20)
    log_dir = tmp_path / "runs"
    proc = subprocess.Popen(
        [*ASSAY, *base_args(tasks_file, server, log_dir, n=300), "--max-connections", "4", "--max-retries", "2"],
        stderr=subprocess.PIPE,
        text=True,
    )
    run_dir = wait_for_records(log_dir, 20)
    server.configure(down=True)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr and f"assay run --resume {run_dir}" in stderr and "attempt" in stderr
    done = len(records(run_dir))
    assert 20 <= done < 300
    assert json.loads((run_dir / "spec.json").read_text())["status"] == "failed"
    server.configure(down=False)
    resumed = run_cli("run", "--resume", str(run_dir), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert_complete_once(run_dir, 300)


def test_ctrl_c_flushes_and_says_how_to_resume(tmp_path: Path, server: FaultyOpenAIServer, tasks_file: Path) -> None:
    server.configure(latency_ms=40)
    log_dir = tmp_path / "runs"
    proc = subprocess.Popen(
        [*ASSAY, *base_args(tasks_file, server, log_dir, n=200), "--max-connections", "4"],
        stderr=subprocess.PIPE,
        text=True,
    )
    run_dir = wait_for_records(log_dir, 20)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert f"assay run --resume {run_dir}" in stderr and "Traceback" not in stderr, stderr
    n_saved = len(records(run_dir))
    asked = sum(1 for v in server.stats()["successes"].values() if v)
    # everything the runner received was flushed; unlogged answers are at most the 4 connections' (in flight, or
    # waiting for the runner) plus the provider's 4-slot hand-over queue
    assert n_saved >= asked - (4 + 4)
    assert json.loads((run_dir / "spec.json").read_text())["status"] == "interrupted"
    assert run_cli("run", "--resume", str(run_dir), "--quiet").returncode == 0
    assert_complete_once(run_dir, 200)
