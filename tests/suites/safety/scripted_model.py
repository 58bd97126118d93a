"""A `Model` that answers from a script (a function of the request), for solver, judge and analysis tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from assay.models.base import Request, Response


class ScriptedModel:
    """Answers `reply(request)`; records every request it was sent."""

    def __init__(self, reply: Callable[[Request], str], name: str = "scripted/model") -> None:
        self.name = name
        self.reply = reply
        self.requests: list[Request] = []

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        for i, request in enumerate(requests):
            self.requests.append(request)
            yield i, Response(text=self.reply(request))

    async def loglikelihood(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        for i, request in enumerate(requests):
            self.requests.append(request)
            yield i, Response(loglikelihoods=[-float(len(c)) for c in request.continuations or []])

    def cache_identity(self) -> dict[str, Any]:
        return {"name": self.name}

    async def aclose(self) -> None:
        return None


def last_user(request: Request) -> str:
    """The text of the last user turn of a request."""
    if isinstance(request.input, str):
        return request.input
    return [m["content"] for m in request.input if m["role"] == "user"][-1]
