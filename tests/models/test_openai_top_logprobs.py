"""`GenerateConfig.top_logprobs` with the openai provider: what is sent, how answers are read, and loopback calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.servers.faulty_openai import FaultyOpenAIServer
from tests.servers.openai_answers import LETTERS, answer_for, answer_top_logprobs, token_logprob

from assay.models.base import GenerateConfig, Request, Response
from assay.models.openai import OpenAIModel
from assay.models.openai_parse import MalformedResponse, parse_chat_logprobs, parse_completion

MakeModel = Callable[..., OpenAIModel]
RunModel = Callable[..., list[Response]]


def gen(prompt: str, **config: Any) -> Request:
    return Request("generate", prompt, config=GenerateConfig(**config))


def chat_data(logprobs: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there"}, "logprobs": logprobs}]}


def completion_data(logprobs: Any) -> dict[str, Any]:
    return {"choices": [{"index": 0, "text": " Hi there", "logprobs": logprobs}]}


# ---- parsing ------------------------------------------------------------------------------------------


def test_parse_chat_top_logprobs() -> None:
    content = [
        {
            "token": "Hi",
            "logprob": -0.1,
            "top_logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}, {"token": "Hello", "logprob": -2.5}],
        },
        {
            "token": " there",
            "logprob": -0.3,
            "top_logprobs": [{"token": " there", "logprob": -0.3}, {"token": "!", "logprob": -1.75}],
        },
    ]
    response = parse_chat_logprobs(chat_data({"content": content}))
    assert response.text == "Hi there"
    assert response.token_logprobs == [-0.1, -0.3]
    assert response.top_logprobs == [{"Hi": -0.1, "Hello": -2.5}, {" there": -0.3, "!": -1.75}]

    # a server that ignores the request: no top_logprobs, and no crash
    for ignored in (None, {"content": None}, {"content": [{"token": "Hi", "logprob": -0.1, "top_logprobs": []}]}):
        response = parse_chat_logprobs(chat_data(ignored))
        assert response.text == "Hi there"
        assert response.top_logprobs is None


@pytest.mark.parametrize(
    "content",
    [
        [{"token": "Hi", "logprob": -0.1, "top_logprobs": [{"logprob": -0.1}]}],  # no token
        [{"token": "Hi", "logprob": -0.1, "top_logprobs": [{"token": "Hi", "logprob": "high"}]}],
        [{"token": "Hi", "logprob": -0.1, "top_logprobs": 3}],
    ],
    ids=["no-token", "non-numeric", "not-a-list"],
)
def test_parse_chat_malformed_top_logprobs(content: Any) -> None:
    with pytest.raises(MalformedResponse, match="unreadable chat logprobs"):
        parse_chat_logprobs(chat_data({"content": content}))


def test_parse_completion_top_logprobs() -> None:
    logprobs = {
        "tokens": [" Hi", " there"],
        "token_logprobs": [-0.1, -0.3],
        "top_logprobs": [{" Hi": -0.1, " Hello": -2.5}, {" there": -0.3, "!": -1.75}],
        "text_offset": [0, 3],
    }
    response = parse_completion(completion_data(logprobs), top_logprobs=True)
    assert response.text == " Hi there"
    assert response.token_logprobs == [-0.1, -0.3]
    assert response.top_logprobs == [{" Hi": -0.1, " Hello": -2.5}, {" there": -0.3, "!": -1.75}]
    # not asked for: the one-entry dicts that logprobs=1 brings are not reported
    assert parse_completion(completion_data(logprobs)).top_logprobs is None
    # a server that ignores the request: no top_logprobs, and no crash
    no_tops = {"tokens": [" Hi"], "token_logprobs": [-0.1], "top_logprobs": None, "text_offset": [0]}
    for ignored in (None, no_tops):
        response = parse_completion(completion_data(ignored), top_logprobs=True)
        assert response.text == " Hi there"
        assert response.top_logprobs is None


def test_parse_completion_malformed_top_logprobs() -> None:
    logprobs = {"tokens": [" Hi"], "token_logprobs": [-0.1], "top_logprobs": [[" Hi", -0.1]], "text_offset": [0]}
    with pytest.raises(MalformedResponse, match="unreadable completion"):
        parse_completion(completion_data(logprobs), top_logprobs=True)


# ---- against the loopback server ------------------------------------------------------------------------


def check_answer_tops(response: Response, prompt: str, n: int, prefix: str = "") -> None:
    answer = answer_for(prompt)
    assert response.text.strip() == answer
    assert response.top_logprobs is not None and len(response.top_logprobs) == 1
    (top,) = response.top_logprobs
    assert len(top) == min(n, len(LETTERS))
    assert set(top) <= {prefix + letter for letter in LETTERS}
    best = max(top, key=lambda t: top[t])
    assert best == prefix + answer
    assert top[best] == token_logprob(prompt, -1)
    assert top == answer_top_logprobs(prompt, n, prefix)


def test_chat_top_logprobs_end_to_end(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    model = make_openai()
    (plain,) = run_model(model, [gen("plain")])  # not asked: nothing new is sent, nothing comes back
    body = faulty_openai.stats()["last_request"]["body"]
    assert "logprobs" not in body and "top_logprobs" not in body
    assert plain.top_logprobs is None and plain.token_logprobs is None
    prompts = [f"Question {i}: which letter?" for i in range(8)]
    responses = run_model(model, [gen(p, top_logprobs=5) for p in prompts])
    sent = faulty_openai.stats()["last_request"]["body"]
    assert sent["logprobs"] is True and sent["top_logprobs"] == 5
    for prompt, response in zip(prompts, responses, strict=True):
        check_answer_tops(response, prompt, 5)
        assert response.token_logprobs == [token_logprob(prompt, -1)]


@pytest.mark.parametrize(("asked", "sent"), [(50, 20), (-3, 1), (2, 2)])
def test_top_logprobs_is_clamped(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer, asked: int, sent: int
) -> None:
    (response,) = run_model(make_openai(), [gen("clamp me", top_logprobs=asked)])
    assert faulty_openai.stats()["last_request"]["body"]["top_logprobs"] == sent
    check_answer_tops(response, "clamp me", sent)


def test_completions_top_logprobs_end_to_end(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer
) -> None:
    prompts = [f"Q: item {i}\nA:" for i in range(8)]
    responses = run_model(make_openai(api="completions"), [gen(p, top_logprobs=5) for p in prompts])
    sent = faulty_openai.stats()["last_request"]["body"]
    assert sent["logprobs"] == 5 and "top_logprobs" not in sent
    for prompt, response in zip(prompts, responses, strict=True):
        check_answer_tops(response, prompt, 5, prefix=" ")


@pytest.mark.parametrize("api", ["chat", "completions"])
def test_server_ignoring_top_logprobs_gives_none(
    make_openai: MakeModel, run_model: RunModel, faulty_openai: FaultyOpenAIServer, api: str
) -> None:
    model = make_openai(api=api)
    (supported,) = run_model(model, [gen("ignored", top_logprobs=5)])
    assert supported.top_logprobs is not None  # the same request to a server that supports them
    faulty_openai.configure(logprobs_supported=False)
    (response,) = run_model(model, [gen("ignored again", top_logprobs=5)])
    assert response.text.strip() == answer_for("ignored again")
    assert response.error is None
    assert response.top_logprobs is None
