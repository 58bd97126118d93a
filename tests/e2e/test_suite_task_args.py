"""`assay run SUITE -T k=v`: suite-wide task arguments reach the tasks that take them, so a chat endpoint
without log-probabilities can run the fairness suite in generate mode."""

import json
from pathlib import Path

from tests.cli_helpers import run_cli
from tests.servers.faulty_openai import FaultyOpenAIServer


def _specs(log_dir: Path) -> dict[str, dict[str, object]]:
    specs = [json.loads(p.read_text()) for p in log_dir.glob("*/spec.json")]
    return {s["task"]["name"]: s["task"]["args"] for s in specs}


def test_fairness_suite_in_generate_mode_on_a_server_without_logprobs(tmp_path: Path) -> None:
    with FaultyOpenAIServer(logprobs_supported=False) as server:
        common = ["--model", "openai/test", "--base-url", server.url, "--limit", "8", "-q"]
        failed = run_cli("run", "fairness", *common, "--log-dir", str(tmp_path / "ll"))
        assert failed.returncode != 0 and "-T mode=generate" in failed.stderr  # the fix says what to do
        done = run_cli("run", "fairness", *common, "-T", "mode=generate", "--log-dir", str(tmp_path / "gen"))
        assert done.returncode == 0, done.stderr
        requests = server.stats()["requests"]
    args = _specs(tmp_path / "gen")
    assert args["bbq"]["mode"] == "generate" and args["winobias"]["mode"] == "generate"
    assert requests >= 16  # both tasks asked the chat server for answers
    assert list((tmp_path / "gen").glob("fairness-report-*.md"))


def test_alignment_suite_in_generate_mode_on_a_chat_server(tmp_path: Path) -> None:
    with FaultyOpenAIServer() as server:  # chat with top_logprobs, as OpenAI's chat API
        args = ["run", "alignment", "-T", "mode=generate", "--model", "openai/test", "--base-url", server.url]
        done = run_cli(*args, "--limit", "6", "-q", "--log-dir", str(tmp_path / "chat"))
        body = server.last_request["body"]
    assert done.returncode == 0, done.stderr
    assert set(_specs(tmp_path / "chat")) == {"truthfulqa_mc", "sycophancy", "calibration"}
    assert body.get("top_logprobs") == 20 and body.get("logprobs") is True  # calibration ran last
    (report,) = (tmp_path / "chat").glob("alignment-report-*.md")
    text = report.read_text()
    assert "| mc1 |" in text and "expected calibration error: 0." in text
    assert "samples without choice probabilities" not in text

    with FaultyOpenAIServer(logprobs_supported=False) as server:  # no log-probabilities at all
        done = run_cli(*args[:-1], server.url, "--limit", "6", "-q", "--log-dir", str(tmp_path / "bare"))
    assert done.returncode == 0, done.stderr
    (report,) = (tmp_path / "bare").glob("alignment-report-*.md")
    assert "samples without choice probabilities (left out): 6" in report.read_text()


def test_a_suite_argument_no_task_takes_is_refused(tmp_path: Path) -> None:
    r = run_cli("run", "fairness", "--model", "openai/test", "-T", "judge=x", "--log-dir", str(tmp_path))
    assert r.returncode == 2
    assert "no task of the fairness suite takes judge" in r.stderr and "bbq: categories, mode" in r.stderr
    assert not list(tmp_path.glob("*/spec.json"))  # refused before any run started
