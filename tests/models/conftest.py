"""Fixtures for provider tests: the fault-injecting OpenAI-compatible server on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from tests.servers.faulty_openai import FaultyOpenAIServer

from assay.models.base import Request, Response
from assay.models.openai import OpenAIModel
from assay.models.registry import ModelOptions
from assay.models.retry import RetryPolicy

# Millisecond backoff so that retry tests take milliseconds; Retry-After is still obeyed in full.
FAST_RETRIES = RetryPolicy(base_delay=0.005, max_delay=0.05)


@pytest.fixture(scope="session")
def _faulty_openai_session() -> Iterator[FaultyOpenAIServer]:
    # One server thread for the whole session: starting one per test would cost more than the tests.
    with FaultyOpenAIServer() as server:
        yield server


@pytest.fixture
def faulty_openai(_faulty_openai_session: FaultyOpenAIServer) -> Iterator[FaultyOpenAIServer]:
    """The running server, reset to fault-free with zeroed counters; `.url` is its /v1 root."""
    _faulty_openai_session.reset()
    yield _faulty_openai_session
    _faulty_openai_session.reset()


@pytest.fixture
def faulty_openai_url(faulty_openai: FaultyOpenAIServer) -> str:
    """The base URL (ending in /v1) of a fresh fault-free server."""
    return faulty_openai.url


@pytest.fixture
def make_openai(faulty_openai_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., OpenAIModel]:
    """Build an `OpenAIModel` on the fault server with fast retries: `make_openai(max_retries=3, api="completions")`.

    Keyword arguments that are `ModelOptions` fields go there; the rest become model args.
    """
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)

    def make(*, base_url: str | None = None, **kwargs: Any) -> OpenAIModel:
        fields = {"max_connections", "timeout", "max_retries"}
        options = {k: v for k, v in kwargs.items() if k in fields}
        model_args = {k: str(v) for k, v in kwargs.items() if k not in fields}
        model = OpenAIModel(
            "test-model", ModelOptions(base_url=base_url or faulty_openai_url, model_args=model_args, **options)
        )
        model.retry_policy = FAST_RETRIES
        return model

    return make


def collect(model: OpenAIModel, requests: Sequence[Request], verb: str = "generate") -> list[Response]:
    """Run one verb to the end in a fresh event loop and return the responses in request order."""

    async def go() -> list[Response]:
        out: list[Response | None] = [None] * len(requests)
        try:
            stream = model.generate(requests) if verb == "generate" else model.loglikelihood(requests)
            async for i, response in stream:
                assert out[i] is None, f"index {i} answered twice"
                out[i] = response
        finally:
            await model.aclose()
        assert all(r is not None for r in out)
        return [r for r in out if r is not None]

    return asyncio.run(go())


@pytest.fixture
def run_model() -> Callable[..., list[Response]]:
    """`run_model(model, requests, verb="generate")`: every response, in request order."""
    return collect
