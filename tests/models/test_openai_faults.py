"""The openai provider under injected faults: what it retries, what it refuses at once, how it gives up."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.servers.faulty_openai import ALL_FAULTS, FaultyOpenAIServer
from tests.servers.openai_answers import answer_for

from assay.errors import ModelError
from assay.models.base import Request, Response
from assay.models.openai import OpenAIModel

MakeModel = Callable[..., OpenAIModel]
RunModel = Callable[..., list[Response]]
REPO = Path(__file__).resolve().parents[2]


def gen(prompt: str) -> Request:
    return Request("generate", prompt)


@pytest.mark.parametrize("fault", ALL_FAULTS)
def test_each_fault_is_retried_until_success(
    fault: str, make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(faults=[fault], fail_first=2, retry_after=0.01, slow_s=1.0)
    prompts = [f"{fault} prompt {i}" for i in range(4)]
    responses = run_model(make_openai(max_retries=3, timeout=0.25), [gen(p) for p in prompts])
    assert [r.text for r in responses] == [answer_for(p) for p in prompts]
    stats = faulty_openai.stats()
    assert stats["faults"] == {fault: 8}
    assert all(stats["per_prompt"][p] == 3 for p in prompts)


def test_loglikelihood_is_retried_too(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    request = Request("loglikelihood", "Question: 1+1?\nAnswer:", continuations=[" A", " B"])
    clean = run_model(make_openai(), [request], "loglikelihood")
    faulty_openai.configure(faults=["malformed", "503"], fail_first=2)
    faulty = run_model(make_openai(max_retries=2), [request], "loglikelihood")
    assert faulty[0].loglikelihoods == clean[0].loglikelihoods
    assert faulty[0].is_greedy == clean[0].is_greedy


@pytest.mark.parametrize("as_date", [False, True], ids=["seconds", "http-date"])
def test_retry_after_is_honoured(
    as_date: bool, make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    # An HTTP date has whole seconds, so ask for 1.5 s and expect at least the 0.5 s that survives truncation.
    wait, least = (1.5, 0.5) if as_date else (0.3, 0.3)
    faulty_openai.configure(faults=["429"], fail_first=1, retry_after=wait, retry_after_date=as_date)
    start = time.perf_counter()
    (response,) = run_model(make_openai(), [gen("rate limited")])
    assert time.perf_counter() - start >= least
    assert response.text == answer_for("rate limited")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_fail_at_once_with_the_servers_message(
    status: int, make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(reject_status=status, reject_message=f"nope-{status}: model 'test-model' unknown")
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        run_model(make_openai(max_retries=5), [gen("x")])
    assert time.perf_counter() - start < 2
    assert f"HTTP {status}" in info.value.message and f"nope-{status}" in info.value.message
    assert faulty_openai.stats()["per_prompt"] == {"x": 1}  # not retried


def test_on_error_record_keeps_going_on_invalid_requests(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(reject_status=400, reject_message="prompt is too long")
    responses = run_model(make_openai(on_error="record"), [gen("a"), gen("b")])
    assert [r.error for r in responses] == ["HTTP 400: prompt is too long"] * 2
    faulty_openai.configure(reject_status=401, reject_message="bad key")  # a setup problem still stops the run
    with pytest.raises(ModelError, match="bad key"):
        run_model(make_openai(on_error="record"), [gen("a")])


def test_final_error_after_the_retry_budget(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(faults=["500"], fail_first=1000)
    with pytest.raises(ModelError) as info:
        run_model(make_openai(max_retries=3), [gen("doomed")])
    message = info.value.message
    assert "all 4 attempts" in message and "HTTP 500" in message and "test server fault 500" in message
    assert faulty_openai.url in message and "--max-retries (now 3)" in message and "--timeout" in message
    assert faulty_openai.stats()["per_prompt"] == {"doomed": 4}


def test_timeouts_name_the_timeout(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(faults=["slow"], fail_first=1000, slow_s=1.0)
    with pytest.raises(ModelError, match=r"within the 0.2 s timeout"):
        run_model(make_openai(max_retries=1, timeout=0.2), [gen("slow")])


def test_mixed_transient_faults_give_the_fault_free_answers(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    prompts = [f"Sample {i}: what is the answer?" for i in range(500)]
    clean = run_model(make_openai(), [gen(p) for p in prompts])
    faulty_openai.reset()
    faulty_openai.configure(fail_rate=0.2, slow_s=1.0, retry_after=0.02)
    start = time.perf_counter()
    faulty = run_model(make_openai(max_connections=64, timeout=0.5, max_retries=8), [gen(p) for p in prompts])
    assert time.perf_counter() - start < 30
    assert [r.text for r in faulty] == [r.text for r in clean] == [answer_for(p) for p in prompts]
    stats = faulty_openai.stats()
    assert set(stats["faults"]) == set(ALL_FAULTS)  # every kind was met and got past
    assert 0.1 * 500 < sum(stats["faults"].values()) < 0.4 * 500
    # each sample answered exactly once: nothing is asked again once it has succeeded
    assert stats["successes"] == dict.fromkeys(prompts, 1) and stats["repeated_successes"] == 0


def test_server_down_for_good_fails_in_bounded_time(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(down=True)
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        run_model(make_openai(max_retries=2, timeout=1.0), [gen(f"p{i}") for i in range(50)])
    assert time.perf_counter() - start < 5
    assert "closed the connection" in info.value.message and "all 3 attempts" in info.value.message


def test_connection_refused_fails_in_bounded_time(make_openai: MakeModel, run_model: RunModel) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, with nobody listening now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        run_model(make_openai(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2), [gen("x"), gen("y")])
    assert time.perf_counter() - start < 5
    assert "cannot connect" in info.value.message and "is up" in info.value.message


def test_admin_endpoints(faulty_openai: FaultyOpenAIServer) -> None:
    root = faulty_openai.url.removesuffix("/v1")

    def post(path: str, body: object) -> dict[str, object]:
        req = urllib.request.Request(root + path, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            result: dict[str, object] = json.loads(resp.read())
            return result

    assert post("/admin/config", {"fail_rate": 0.5, "down": True})["down"] is True
    with urllib.request.urlopen(root + "/admin/stats", timeout=5) as resp:
        assert json.loads(resp.read())["config"]["fail_rate"] == 0.5
    post("/admin/reset", {})
    assert faulty_openai.stats()["config"]["down"] is False


def test_command_line_server(make_openai: MakeModel, run_model: RunModel) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.servers.faulty_openai",
            "--port",
            "0",
            "--fail-rate",
            "0.3",
            "--slow-s",
            "0.2",
            "--retry-after",
            "0.01",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[1]
        prompts = [f"cli {i}" for i in range(30)]
        responses = run_model(make_openai(base_url=url, timeout=10), [gen(p) for p in prompts])
        assert [r.text for r in responses] == [answer_for(p) for p in prompts]
        with urllib.request.urlopen(url.removesuffix("/v1") + "/admin/stats", timeout=5) as resp:
            assert sum(json.loads(resp.read())["faults"].values()) > 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
