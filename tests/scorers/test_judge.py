"""model_graded against a real HTTP judge: the shared fake OpenAI server on a loopback port.

The fake server answers every chat completion with a letter A-D derived from a hash of the
prompt, so the tests grade with `grade_pattern="([A-D])"` and a grade per letter, and check
each grade against the letter the server's own function gives for the exact judge prompt.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.models.base import Request, Response
from assay.scorers import model_graded
from assay.scorers.judge import RUBRICS, ModelGraded

SERVER = Path(__file__).resolve().parents[3] / "shared" / "bench" / "fake_openai_server.py"
LETTER_GRADES = {"A": 1.0, "B": 0.5, "C": 0.25, "D": 0.0}
SAMPLES = [
    Sample(input="What is the capital of France?", target="Paris", id="q1"),
    Sample(input="Who wrote Hamlet?", target="Shakespeare", id="q2"),
    Sample(input="What is 7 x 6?", target="42", id="q3"),
    Sample(input=[{"role": "user", "content": "Name a prime number above 10."}], target=["11", "13"], id="q4"),
]
ANSWERS = ["Paris.", "Christopher Marlowe", "42", "13"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def fake_server() -> Iterator[str]:
    if not SERVER.exists():
        pytest.skip(f"shared fake server not found at {SERVER}")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--port", str(port), "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"fake server did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fake_openai_server", SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class HttpxJudge:
    """A minimal real `Model` that calls /v1/chat/completions with httpx (independent of the openai provider)."""

    def __init__(self, base_url: str) -> None:
        self.name = "test/httpx-judge"
        self.base_url = base_url
        self.calls = 0

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            for i, request in enumerate(requests):
                self.calls += 1
                reply = await client.post(
                    "/v1/chat/completions", json={"model": "judge", "messages": request.input, "max_tokens": 8}
                )
                reply.raise_for_status()
                yield i, Response(text=reply.json()["choices"][0]["message"]["content"])

    def loglikelihood(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        raise NotImplementedError

    def cache_identity(self) -> dict[str, Any]:
        return {"name": self.name}

    async def aclose(self) -> None:
        pass


async def _grade_all(scorer: ModelGraded) -> list[Any]:
    return list(
        await asyncio.gather(*(scorer.ascore(s, Response(text=a)) for s, a in zip(SAMPLES, ANSWERS, strict=True)))
    )


def _check_grades(scorer: ModelGraded, scores: list[Any], server_module: ModuleType) -> None:
    for sample, answer, score in zip(SAMPLES, ANSWERS, scores, strict=True):
        expected = server_module.answer_letter(scorer.prompt(sample, Response(text=answer)))
        assert score.metadata["judge_raw"] == expected  # the judge's raw output is kept verbatim
        assert score.metadata["grade"] == expected and score.metadata["grade_parsed"] is True
        assert score.value == {"accuracy": LETTER_GRADES[expected]}
        assert score.answer == answer.strip()


def test_judge_via_openai_provider_on_loopback(fake_server: str, server_module: ModuleType) -> None:
    scorer = model_graded(
        "openai/judge-model",
        grade_pattern=r"([A-D])",
        grades=LETTER_GRADES,
        judge_args={"base_url": f"{fake_server}/v1", "max_retries": 1, "timeout": 10},
    )
    assert scorer.is_async
    before = httpx.get(f"{fake_server}/stats").json()

    async def go() -> list[Any]:
        try:
            return await _grade_all(scorer)
        finally:
            if scorer._judge is not None:
                await scorer._judge.aclose()

    scores = asyncio.run(go())
    _check_grades(scorer, scores, server_module)
    after = httpx.get(f"{fake_server}/stats").json()
    assert json.dumps(after) != json.dumps(before)  # the server really was called


def test_judge_with_httpx_model(fake_server: str, server_module: ModuleType) -> None:
    judge = HttpxJudge(fake_server)
    scorer = model_graded(judge, grade_pattern=r"([A-D])", grades=LETTER_GRADES)
    scores = asyncio.run(_grade_all(scorer))
    _check_grades(scorer, scores, server_module)
    assert judge.calls == len(SAMPLES)
    assert scorer.spec()["judge"] == "test/httpx-judge"


def test_unparseable_grade_scores_zero_and_keeps_raw(fake_server: str) -> None:
    scorer = model_graded(HttpxJudge(fake_server))  # default pattern wants "GRADE: C"; the server says "A".."D"
    score = asyncio.run(scorer.ascore(SAMPLES[0], Response(text="Paris")))
    assert score.value == {"accuracy": 0.0}
    assert score.metadata["grade_parsed"] is False and score.metadata["judge_raw"] in {"A", "B", "C", "D"}


class ScriptedJudge(HttpxJudge):
    """Answers with fixed text and records the prompts it was sent."""

    def __init__(self, text: str = "", error: str | None = None) -> None:
        super().__init__("http://unused")
        self.text, self.error = text, error
        self.prompts: list[Any] = []

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        for i, request in enumerate(requests):
            self.prompts.append(request.input)
            yield i, Response(text=self.text, error=self.error)


def test_prompt_holds_question_target_answer_and_last_grade_wins() -> None:
    judge = ScriptedJudge("The submission is close. GRADE: I ... on reflection GRADE: P")
    scorer = model_graded(judge)
    score = asyncio.run(scorer.ascore(SAMPLES[3], Response(text="13")))
    assert score.value == {"accuracy": 0.5} and score.metadata["grade"] == "P"
    [messages] = judge.prompts
    content = messages[0]["content"]
    assert "Name a prime number above 10." in content and "11 | 13" in content and "[Submission]: 13" in content


def test_errors_do_not_crash() -> None:
    scorer = model_graded(ScriptedJudge(error="HTTP 503"))
    score = asyncio.run(scorer.ascore(SAMPLES[0], Response(text="Paris")))
    assert score.value == {"accuracy": 0.0} and score.metadata["judge_error"] == "HTTP 503"
    failed_answer = asyncio.run(scorer.ascore(SAMPLES[0], Response(error="model timed out")))
    assert failed_answer.value == {"accuracy": 0.0} and failed_answer.metadata["judged"] is False
    with pytest.raises(RuntimeError, match="ascore"):
        scorer.score(SAMPLES[0], Response(text="x"))


def test_spec_versions_the_rubric() -> None:
    spec = model_graded("openai/gpt-4o-mini", judge_args={"base_url": "http://secret-host/v1"}).spec()
    assert spec["rubric_version"] == "qa-v1" and spec["judge"] == "openai/gpt-4o-mini"
    assert spec["grades"] == {"C": 1.0, "P": 0.5, "I": 0.0} and len(spec["rubric_sha256"]) == 64
    assert "secret-host" not in json.dumps(spec)
    custom = model_graded("openai/x", rubric_template="Q: {{ question }} A: {{ answer }} GRADE?").spec()
    assert custom["rubric_version"].startswith("custom-") and custom["rubric_version"] != "qa-v1"
    assert "qa-v1" in RUBRICS
    with pytest.raises(ConfigError, match="not valid Jinja2"):
        model_graded("openai/x", rubric_template="{{ question ")
    with pytest.raises(ConfigError, match="undefined variable"):
        model_graded(ScriptedJudge("x"), rubric_template="{{ nonsense }}").prompt(SAMPLES[0], Response(text="a"))
