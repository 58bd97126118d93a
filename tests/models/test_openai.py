"""The openai provider against a real loopback server: what it sends, what it reads back, what it refuses."""

from __future__ import annotations

import asyncio
import doctest
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.servers.faulty_openai import FaultyOpenAIServer
from tests.servers.openai_answers import answer_for, echo_logprobs, token_logprob

import assay.models.openai
from assay.errors import ModelError
from assay.models.base import GenerateConfig, Request, Response
from assay.models.openai import OpenAIModel
from assay.models.registry import ModelOptions, get_model

MakeModel = Callable[..., OpenAIModel]
RunModel = Callable[..., list[Response]]


def gen(prompt: str | list[dict[str, str]], **config: Any) -> Request:
    return Request("generate", prompt, config=GenerateConfig(**config))


def expected_loglikelihood(context: str, continuation: str) -> tuple[float, bool, int]:
    """The oracle: sum the server's own logprobs over the tokens that hold continuation characters."""
    lp = echo_logprobs(context + continuation)
    start, total, greedy, n = len(context), 0.0, True, 0
    for j, (tok, off) in enumerate(zip(lp["tokens"], lp["text_offset"], strict=True)):
        if off + len(tok) > start:
            total += lp["token_logprobs"][j]
            greedy = greedy and max(lp["top_logprobs"][j].values()) <= lp["token_logprobs"][j]
            n += 1
    return total, greedy, n


def test_chat_generate_answers_usage_and_latency(make_openai: MakeModel, run_model: RunModel) -> None:
    prompts = [f"Question {i}: pick a letter." for i in range(20)]
    responses = run_model(make_openai(), [gen(p) for p in prompts])
    assert [r.text for r in responses] == [answer_for(p) for p in prompts]
    assert all(r.usage and r.usage["total_tokens"] >= 2 for r in responses)
    assert all(r.latency > 0 and r.error is None for r in responses)


def test_chat_sends_generation_settings_and_request_args(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    model = make_openai(top_k="5", extra_body='{"min_tokens": 2}')
    run_model(model, [gen("hello", max_tokens=7, temperature=0.5, top_p=0.9, stop=["\n"], seed=3)])
    sent = faulty_openai.stats()["last_request"]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["authorization"] is None  # loopback and no key: nothing to send
    assert sent["body"] == {
        "model": "test-model",
        "messages": [{"role": "user", "content": "hello"}],
        "max_tokens": 7,
        "temperature": 0.5,
        "top_p": 0.9,
        "stop": ["\n"],
        "seed": 3,
        "top_k": 5,
        "min_tokens": 2,
    }


def test_chat_messages_and_logprobs(make_openai: MakeModel, run_model: RunModel) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    (response,) = run_model(make_openai(), [gen(messages, logprobs=True)])
    assert response.text == answer_for("Be brief.\nHi")
    assert response.token_logprobs == [token_logprob("Be brief.\nHi", -1)]


def test_completions_api(make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer) -> None:
    responses = run_model(make_openai(api="completions"), [gen("Q: x\nA:", logprobs=True), gen("Q: y\nA:")])
    assert [r.text for r in responses] == [" " + answer_for("Q: x\nA:"), " " + answer_for("Q: y\nA:")]
    assert responses[0].token_logprobs == [token_logprob("Q: x\nA:", -1)]
    assert responses[1].token_logprobs is None
    assert faulty_openai.stats()["last_request"]["path"] == "/v1/completions"


def test_messages_with_completions_api_fail_before_sending(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    with pytest.raises(ModelError, match="completions API takes only a string"):
        run_model(make_openai(api="completions"), [gen("fine"), gen([{"role": "user", "content": "x"}])])
    assert faulty_openai.stats()["requests"] == 0


@pytest.mark.parametrize("reject_zero", [False, True], ids=["max_tokens=0", "fallback-to-1"])
def test_loglikelihood_equals_server_logprobs(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer, reject_zero: bool
) -> None:
    faulty_openai.configure(reject_max_tokens_zero=reject_zero)
    cases = [
        ("Question: what is 2+2?\nAnswer:", [" A", " B", " four of them", ""]),
        ("Answer: ", ["A", "B C"]),  # a token straddles the boundary: " A" starts inside the context
        ("The cat", [" sat on the mat.", " ran"]),
    ]
    requests = [Request("loglikelihood", c, continuations=conts) for c, conts in cases]
    responses = run_model(make_openai(), requests, "loglikelihood")
    for (context, conts), response in zip(cases, responses, strict=True):
        assert response.error is None and response.usage
        for k, cont in enumerate(conts):
            if not cont:
                assert (response.loglikelihoods[k], response.continuation_tokens[k]) == (0.0, 0)  # type: ignore[index]
                continue
            value, greedy, _ = expected_loglikelihood(context, cont)
            assert response.loglikelihoods is not None and response.is_greedy is not None
            assert response.loglikelihoods[k] == pytest.approx(value, abs=1e-9)
            assert response.is_greedy[k] is greedy
            assert response.continuation_tokens == [expected_loglikelihood(context, c)[2] if c else 0 for c in conts]
    # one HTTP request per context, all continuations batched in it
    assert faulty_openai.stats()["successes"].get(cases[0][0] + " A") == 1
    sent = faulty_openai.stats()["last_request"]["body"]
    assert sent["echo"] is True and sent["logprobs"] == 1 and sent["max_tokens"] == (1 if reject_zero else 0)


def test_loglikelihood_on_a_server_without_echo_fails_at_once(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(logprobs_supported=False)
    request = Request("loglikelihood", "Q: 1+1?\nA:", continuations=[" 2", " 3"])
    with pytest.raises(ModelError) as info:
        run_model(make_openai(max_retries=5), [request], "loglikelihood")
    assert "cannot be read" in info.value.message and "echo=true" in info.value.message
    assert faulty_openai.stats()["requests"] == 1  # a wrong-shaped answer is not retried


def test_loglikelihood_rejects_empty_context(make_openai: MakeModel, run_model: RunModel) -> None:
    with pytest.raises(ModelError, match="context is empty"):
        run_model(make_openai(), [Request("loglikelihood", "", continuations=["A"])], "loglikelihood")


def test_concurrency_limit_is_respected(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    faulty_openai.configure(latency_ms=20)
    run_model(make_openai(max_connections=5), [gen(f"p{i}") for i in range(60)])
    stats = faulty_openai.stats()
    assert 1 < stats["max_in_flight"] <= 5
    assert stats["requests"] == 60


def test_model_is_reusable_across_event_loops(make_openai: MakeModel) -> None:
    # The sync facade runs a new loop per call; the pool must follow it rather than die with the first loop.
    model = make_openai()

    async def once(prompt: str) -> str:
        async for _, response in model.generate([gen(prompt)]):
            return response.text
        return ""

    assert asyncio.run(once("a")) == answer_for("a")
    assert asyncio.run(once("b")) == answer_for("b")
    asyncio.run(model.aclose())


def test_consumer_stopping_early_cancels_the_workers(make_openai: MakeModel, faulty_openai: FaultyOpenAIServer) -> None:
    faulty_openai.configure(latency_ms=50)
    model = make_openai(max_connections=4)

    async def first() -> None:
        stream = model.generate([gen(f"p{i}") for i in range(100)])
        async for _ in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        await model.aclose()

    asyncio.run(asyncio.wait_for(first(), 5))
    assert faulty_openai.stats()["requests"] < 20


def test_bad_model_args(make_openai: MakeModel) -> None:
    with pytest.raises(ModelError) as info:
        make_openai(temprature="0.5")
    assert "temprature" in info.value.message and "api" in info.value.message and "top_k" in info.value.message
    with pytest.raises(ModelError, match="chat, completions"):
        make_openai(api="responses")
    with pytest.raises(ModelError, match="top_k"):
        make_openai(top_k="many")
    with pytest.raises(ModelError, match="JSON object"):
        make_openai(extra_body="[1]")


def test_missing_api_key_for_remote_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ModelError) as info:
        OpenAIModel("gpt-4o-mini", ModelOptions(base_url="https://api.example.invalid/v1"))
    assert "OPENAI_API_KEY" in info.value.message
    with pytest.raises(ModelError, match="MY_KEY"):
        OpenAIModel("m", ModelOptions(base_url="https://api.example.invalid/v1", model_args={"api_key_env": "MY_KEY"}))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ModelError, match=r"api\.openai\.com"):  # the default base URL is OpenAI's own
        get_model("openai/gpt-4o-mini")


def test_key_is_sent_but_never_shown(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-secret-4242"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    model = make_openai()
    shown = json.dumps(model.cache_identity()) + repr(model) + str(vars(model))
    assert secret not in shown
    faulty_openai.configure(reject_status=401, reject_message="invalid api key")
    with pytest.raises(ModelError) as info:
        run_model(model, [gen("x")])
    assert secret not in info.value.message and "OPENAI_API_KEY" in info.value.message
    assert faulty_openai.stats()["last_request"]["authorization"] == f"Bearer {secret}"


def test_cache_identity_and_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:9999/v1/")
    model = get_model("openai/llama", ModelOptions(model_args={"api": "completions", "min_p": "0.1"}))
    assert model.cache_identity() == {
        "provider": "openai",
        "model": "llama",
        "base_url": "http://localhost:9999/v1",
        "api": "completions",
        "request_fields": {"min_p": 0.1},
    }
    with pytest.raises(ModelError, match="not an http"):
        OpenAIModel("m", ModelOptions(base_url="localhost:8000"))


SHARED_FAKE = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "fake_openai_server.py"


@pytest.mark.skipif(not SHARED_FAKE.exists(), reason="the shared fake server is not beside the repository")
def test_against_shared_fake_server(monkeypatch: pytest.MonkeyPatch, run_model: RunModel) -> None:
    spec = importlib.util.spec_from_file_location("shared_fake_openai", SHARED_FAKE)
    assert spec and spec.loader
    fake = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fake)
    proc = subprocess.Popen(
        [sys.executable, str(SHARED_FAKE), "--port", "0", "--latency-ms", "1"], stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        match = re.search(r"(http://\S+)", proc.stderr.readline())
        assert match
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        model = OpenAIModel("fake-model", ModelOptions(base_url=match.group(1)))
        (chat,) = run_model(model, [gen("Q-17: which?")])
        assert chat.text == fake.answer_letter("Q-17")
        context, conts = "Question Q-3\nAnswer:", [" A", " B", " C", " D"]
        model = OpenAIModel("fake-model", ModelOptions(base_url=match.group(1)))
        (ll,) = run_model(model, [Request("loglikelihood", context, continuations=conts)], "loglikelihood")
        # The fake makes the answer letter's last token likely (-0.05) and the others unlikely (-4.0).
        letter = fake.answer_letter(context + " A")
        assert ll.loglikelihoods == [-0.05 if c.strip() == letter else -4.0 for c in conts]
        assert ll.continuation_tokens == [1, 1, 1, 1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def test_module_examples_run() -> None:
    assert doctest.testmod(assay.models.openai).failed == 0
