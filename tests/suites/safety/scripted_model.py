"""A `Model` that answers from a script (a function of the request), for solver, judge and analysis tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from assay.models.base import Request, Response


class ScriptedModel:
    """Answers `reply(request)`; records every request it was sent.

    Log-likelihoods favour the continuation `pick(request)` names (0 against -5), or else the shortest.
    """

    def __init__(
        self,
        reply: Callable[[Request], str] = lambda request: "",
        name: str = "scripted/model",
        pick: Callable[[Request], int] | None = None,
    ) -> None:
        self.name = name
        self.reply = reply
        self.pick = pick
        self.requests: list[Request] = []

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        for i, request in enumerate(requests):
            self.requests.append(request)
            yield i, Response(text=self.reply(request))

    async def loglikelihood(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        for i, request in enumerate(requests):
            self.requests.append(request)
            continuations = request.continuations or []
            if self.pick is None:
                yield i, Response(loglikelihoods=[-float(len(c)) for c in continuations])
            else:
                chosen = self.pick(request)
                yield i, Response(loglikelihoods=[0.0 if k == chosen else -5.0 for k in range(len(continuations))])

    def cache_identity(self) -> dict[str, Any]:
        return {"name": self.name}

    async def aclose(self) -> None:
        return None


def last_user(request: Request) -> str:
    """The text of the last user turn of a request."""
    if isinstance(request.input, str):
        return request.input
    return [m["content"] for m in request.input if m["role"] == "user"][-1]
