"""The provider-neutral request/response types and the `Model` protocol.

Every provider has the same two verbs, `generate` and `loglikelihood`. Each takes a
batch of requests and yields `(index, Response)` pairs as they finish, in any order:
an HTTP provider streams them as its concurrent requests return, a local provider
sorts and batches them. The runner consumes the stream and logs each sample as soon
as its response is in, so a crash loses nothing that finished.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Message = dict[str, str]  # {"role": "user" | "system" | "assistant", "content": "..."}
RequestKind = Literal["generate", "loglikelihood"]


MAX_TOP_LOGPROBS = 20


@dataclass(slots=True)
class GenerateConfig:
    """Sampling settings for `generate` requests."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float | None = None
    stop: list[str] | None = None
    seed: int | None = None
    logprobs: bool = False
    top_logprobs: int | None = None  # also the most likely alternatives of each generated token (at most 20)

    def top_logprobs_count(self) -> int:
        """How many alternatives per generated token `top_logprobs` asks for: 0 (none) or 1..20, as the
        OpenAI API bounds it (every provider reports at most that many)."""
        return min(max(int(self.top_logprobs), 1), MAX_TOP_LOGPROBS) if self.top_logprobs else 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "stop": self.stop,
            "seed": self.seed,
            "logprobs": self.logprobs,
        }
        if self.top_logprobs:  # only when asked, so that earlier request-cache keys stay valid
            d["top_logprobs"] = self.top_logprobs
        return d


@dataclass(slots=True)
class Request:
    """One model call.

    kind "generate": `input` is the prompt (a string, or chat messages) and `config`
    the sampling settings.
    kind "loglikelihood": `input` is the context string and `continuations` the
    candidate continuations scored after it (one forward pass of the context can be
    shared among them).
    """

    kind: RequestKind
    input: str | list[Message]
    config: GenerateConfig = field(default_factory=GenerateConfig)
    continuations: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "input": self.input}
        if self.kind == "generate":
            d["config"] = self.config.to_dict()
        else:
            d["continuations"] = self.continuations
        return d


@dataclass(slots=True)
class Response:
    """What a model returned for one `Request`.

    generate: `text`, optionally `token_logprobs` (log-probability of each generated
    token) and `top_logprobs` (per generated token, the most likely tokens and their
    log-probabilities, when `GenerateConfig.top_logprobs` asked for them).
    loglikelihood: `loglikelihoods[i]` is the summed log-probability of
    `continuations[i]` given the context, `is_greedy[i]` whether greedy decoding
    would have produced it, and `continuation_tokens[i]` its length in tokens.
    `error` holds the provider's final error text when the call failed for good.
    """

    text: str = ""
    token_logprobs: list[float] | None = None
    top_logprobs: list[dict[str, float]] | None = None
    loglikelihoods: list[float] | None = None
    is_greedy: list[bool] | None = None
    continuation_tokens: list[int] | None = None
    usage: dict[str, int] | None = None
    latency: float = 0.0
    error: str | None = None
    metadata: dict[str, Any] | None = None  # provider- or solver-specific extras (e.g. a multi-turn transcript)
    cached: bool = False
    # set by the runner from the request (not stored): what the loglikelihoods are of
    continuations: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text}
        for key in (
            "token_logprobs",
            "top_logprobs",
            "loglikelihoods",
            "is_greedy",
            "continuation_tokens",
            "usage",
            "error",
            "metadata",
        ):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        d["latency"] = round(self.latency, 6)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Response:
        return cls(
            text=d.get("text", ""),
            token_logprobs=d.get("token_logprobs"),
            top_logprobs=d.get("top_logprobs"),
            loglikelihoods=d.get("loglikelihoods"),
            is_greedy=d.get("is_greedy"),
            continuation_tokens=d.get("continuation_tokens"),
            usage=d.get("usage"),
            latency=d.get("latency", 0.0),
            error=d.get("error"),
            metadata=d.get("metadata"),
        )


@runtime_checkable
class Model(Protocol):
    """A model behind a provider. `name` is the full model string ("openai/gpt-4o-mini")."""

    name: str

    def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        """Yield `(index into requests, Response)` for every request, as each finishes."""
        ...

    def loglikelihood(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        """Yield `(index into requests, Response)` for every loglikelihood request."""
        ...

    def cache_identity(self) -> dict[str, Any]:
        """What, besides the request, determines the response (model, revision, dtype...).

        The request cache keys on this, so two differently configured models never
        share cached answers. Secrets must not appear here.
        """
        ...

    async def aclose(self) -> None:
        """Release connections, threads and memory."""
        ...


async def generate_one(model: Model, request: Request) -> Response:
    """One request through a model's batch verb (for solvers and judges that go turn by turn)."""
    verb = model.loglikelihood if request.kind == "loglikelihood" else model.generate
    async for _, response in verb([request]):
        return response
    raise RuntimeError(f"{model.name} returned no response")
