"""The `openai/...` provider: any OpenAI-compatible server (OpenAI, vLLM, llama.cpp, Ollama).

A fixed pool of `max_connections` worker coroutines pulls requests from the batch,
so 100k requests cost 100k small coroutine steps, not 100k tasks. Each call is
retried on transient failures (see `assay.models.retry`), and the answers stream
out as they finish.

>>> from assay.models.registry import ModelOptions, get_model
>>> model = get_model("openai/my-model", ModelOptions(base_url="http://127.0.0.1:8000/v1"))
>>> model.cache_identity()["api"]
'chat'

`generate` uses /chat/completions (or /completions with `--model-arg api=completions`);
`loglikelihood` always uses /completions with `echo` and `logprobs`, one HTTP request
per context carrying every continuation as its own prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from assay.errors import ModelError
from assay.models.base import Request, Response
from assay.models.http_client import FatalHTTPError, JsonHttpClient, TransientHTTPError
from assay.models.openai_args import is_loopback, parse_openai_args, resolve_api_key, resolve_base_url
from assay.models.openai_parse import (
    MalformedResponse,
    parse_chat,
    parse_chat_logprobs,
    parse_completion,
    parse_loglikelihood,
)
from assay.models.registry import ModelOptions
from assay.models.retry import RetryPolicy

# Statuses that mean this one request is bad (too long, filtered), not the whole setup.
_PER_REQUEST_STATUSES = frozenset({400, 413, 422})


def _parse_completion_top(data: dict[str, Any]) -> Response:
    return parse_completion(data, top_logprobs=True)


class _Refused(ModelError):
    """The server refused a request with a non-retryable status (kept so callers can react to it)."""

    def __init__(self, what: str, *, status: int, server_message: str, where: str, fix: str) -> None:
        super().__init__(what, where=where, fix=fix)
        self.status = status
        self.server_message = server_message


class OpenAIModel:
    """A model behind an OpenAI-compatible HTTP API.

    `name` is the server's model name (the part after "openai/"). Connection settings come
    from `options`; provider settings from `options.model_args` (see `openai_args`).

    Failures: timeouts, refused or dropped connections, 429/5xx and unparseable bodies are
    retried up to `options.max_retries` times (backoff from `retry_policy`, a class attribute
    that tests override), then raise `ModelError`. 401/403/404 raise at once; so do 400/413/422
    unless `on_error=record`, which turns them into `Response.error` for that one request.
    `Response.latency` is the time of the attempt that succeeded, not of the retries before it.
    """

    retry_policy: RetryPolicy = RetryPolicy()

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        options = options or ModelOptions()
        if options.max_connections < 1 or options.timeout <= 0 or options.max_retries < 0:
            raise ModelError(
                f"bad connection options: max_connections={options.max_connections}, "
                f"timeout={options.timeout}, max_retries={options.max_retries}",
                where="--max-connections / --timeout / --max-retries",
                fix="use max_connections >= 1, timeout > 0 and max_retries >= 0",
            )
        self.model = name
        self.name = f"openai/{name}"
        self._settings = parse_openai_args(options.model_args)
        self.base_url = resolve_base_url(options.base_url)
        api_key = resolve_api_key(self.base_url, self._settings.api_key_env)
        self.api = self._settings.api
        self.max_connections = options.max_connections
        self.timeout = options.timeout
        self.max_retries = options.max_retries
        headers = {"Content-Type": "application/json", "User-Agent": "assay"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key}"  # kept only inside the HTTP client
        self._http = JsonHttpClient(
            max_connections=options.max_connections,
            timeout=options.timeout,
            headers=headers,
            # Proxies from the environment apply to remote APIs; a loopback server must never go through one.
            trust_env=not is_loopback(self.base_url),
        )
        self._chat_url = f"{self.base_url}/chat/completions"
        self._completions_url = f"{self.base_url}/completions"
        self._body_base: dict[str, Any] = {"model": name, **self._settings.request_fields}
        self._ll_max_tokens = 0  # becomes 1 if the server rejects max_tokens=0 with echo

    def __repr__(self) -> str:
        return f"OpenAIModel(name={self.name!r}, base_url={self.base_url!r}, api={self.api!r})"

    def cache_identity(self) -> dict[str, Any]:
        """Provider, model, server and every setting that changes answers; never the API key."""
        return {
            "provider": "openai",
            "model": self.model,
            "base_url": self.base_url,
            "api": self.api,
            "request_fields": dict(sorted(self._settings.request_fields.items())),
        }

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # ---- the two verbs ------------------------------------------------------------------------------

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        """Yield `(index, Response)` for each generate request as it finishes."""
        for i, req in enumerate(requests):
            self._check_generate(i, req)
        async with contextlib.aclosing(self._run_pool(requests, self._generate_one)) as stream:
            async for item in stream:
                yield item

    async def loglikelihood(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        """Yield `(index, Response)` with the summed log-probability of each continuation."""
        for i, req in enumerate(requests):
            self._check_loglikelihood(i, req)
        async with contextlib.aclosing(self._run_pool(requests, self._loglikelihood_one)) as stream:
            async for item in stream:
                yield item

    # ---- worker pool --------------------------------------------------------------------------------

    async def _run_pool(
        self, requests: Sequence[Request], call: Callable[[Request], Awaitable[Response]]
    ) -> AsyncGenerator[tuple[int, Response], None]:
        # Closing this generator (the consumer stopped, or one request failed for good) cancels every worker.
        n = len(requests)
        if n == 0:
            return
        # A bounded hand-over: workers pause while `max_connections` answers wait for the consumer, so an
        # interrupted run leaves at most twice that many answers unlogged (in flight, or waiting here).
        size = min(self.max_connections, n)
        done: asyncio.Queue[tuple[int, Response] | Exception] = asyncio.Queue(maxsize=size)
        indices = iter(range(n))  # shared by all workers; next() never awaits, so no two take the same index

        async def worker() -> None:
            try:
                for i in indices:
                    await done.put((i, await call(requests[i])))
            except Exception as exc:  # handed to the consumer, which stops the batch
                await done.put(exc)

        workers = [asyncio.create_task(worker()) for _ in range(size)]
        try:
            for _ in range(n):
                item = await done.get()
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    # ---- one call, with retries ---------------------------------------------------------------------

    async def _post(self, url: str, body: dict[str, Any], parse: Callable[[dict[str, Any]], Response]) -> Response:
        payload = json.dumps(body, separators=(",", ":")).encode()
        attempt = 0
        while True:
            start = time.perf_counter()
            try:
                response = parse(await self._http.post_json(url, payload))
            except TransientHTTPError as exc:
                attempt += 1
                if attempt > self.max_retries:
                    raise self._gave_up(url, exc, attempt) from None
                await asyncio.sleep(self.retry_policy.delay(attempt - 1, exc.retry_after))
                continue
            except FatalHTTPError as exc:
                raise self._refused(url, exc) from None
            except MalformedResponse as exc:
                raise self._unreadable(url, exc, "echo" in body) from None
            response.latency = time.perf_counter() - start  # the successful attempt: the model's time, not ours
            return response

    async def _call(self, url: str, body: dict[str, Any], parse: Callable[[dict[str, Any]], Response]) -> Response:
        """`_post`, except that with on_error=record a request refused as invalid becomes an error response."""
        try:
            return await self._post(url, body, parse)
        except _Refused as exc:
            if exc.status in _PER_REQUEST_STATUSES and self._settings.on_error == "record":
                return Response(error=f"HTTP {exc.status}: {exc.server_message}")
            raise

    def _gave_up(self, url: str, exc: TransientHTTPError, attempts: int) -> ModelError:
        return ModelError(
            f"{self.name}: all {attempts} attempts to POST {url} failed; the last: {exc.description}",
            where=url,
            fix=f"check that the server at {self.base_url} is up and serves model {self.model!r} "
            f"(GET {self.base_url}/models); if it is slow or overloaded, raise --max-retries "
            f"(now {self.max_retries}) or --timeout (now {self.timeout:g} s), or lower --max-connections "
            f"(now {self.max_connections})",
        )

    def _unreadable(self, url: str, exc: MalformedResponse, echo: bool) -> ModelError:
        if echo:
            fix = (
                "log-likelihood scoring needs /completions with echo=true and logprobs, which vLLM supports and many "
                "servers (and OpenAI's current models) do not; use a generate-based scorer (-T mode=generate where the "
                "task or suite offers one) or serve the model with vLLM"
            )
        else:
            fix = f"check that {self.base_url} is an OpenAI-compatible API root (it usually ends in /v1)"
        return ModelError(
            f"{self.name}: HTTP 200 from {url} with an answer that cannot be read: {exc}", where=url, fix=fix
        )

    def _refused(self, url: str, exc: FatalHTTPError) -> _Refused:
        if exc.status in (401, 403):
            fix = f"check the API key in ${self._settings.api_key_env} and that it may use model {self.model!r}"
        elif exc.status == 404:
            fix = (
                f"check the model name {self.model!r} and the base URL {self.base_url!r} "
                "(an OpenAI-compatible root usually ends in /v1)"
            )
        else:
            fix = (
                "the server rejected the request's parameters: check --model-arg values and the generation "
                "settings; to record such samples as errors and go on, pass --model-arg on_error=record"
            )
        return _Refused(
            f"{self.name}: the server refused the request: HTTP {exc.status}: {exc.message}",
            status=exc.status,
            server_message=exc.message,
            where=url,
            fix=fix,
        )

    # ---- generate -----------------------------------------------------------------------------------

    def _check_generate(self, index: int, req: Request) -> None:
        if req.kind != "generate":
            raise ModelError(
                f"request {index} is a {req.kind!r} request, passed to generate",
                where=f"{self.name}.generate",
                fix="send loglikelihood requests to loglikelihood()",
            )
        if self.api == "completions" and not isinstance(req.input, str):
            raise ModelError(
                f"request {index} is a list of chat messages, but the completions API takes only a string",
                where=f"{self.name} with --model-arg api=completions",
                fix="drop --model-arg api=completions to use /chat/completions, or give the task a string prompt",
            )

    def _generate_one(self, req: Request) -> Awaitable[Response]:
        config = req.config
        body = self._body_base.copy()
        body[self._settings.max_tokens_field] = config.max_tokens
        body["temperature"] = config.temperature
        if config.top_p is not None:
            body["top_p"] = config.top_p
        if config.stop:
            body["stop"] = config.stop
        if config.seed is not None:
            body["seed"] = config.seed
        top_n = config.top_logprobs_count()
        if self.api == "chat":
            body["messages"] = [{"role": "user", "content": req.input}] if isinstance(req.input, str) else req.input
            if config.logprobs or top_n:
                body["logprobs"] = True
            if top_n:
                body["top_logprobs"] = top_n
            return self._call(self._chat_url, body, parse_chat_logprobs if config.logprobs or top_n else parse_chat)
        body["prompt"] = req.input
        if top_n:
            body["logprobs"] = top_n
            return self._call(self._completions_url, body, _parse_completion_top)
        if config.logprobs:
            body["logprobs"] = 1  # 0 would be the honest ask, but some servers read 0 as "no logprobs"
        return self._call(self._completions_url, body, parse_completion)

    # ---- loglikelihood ------------------------------------------------------------------------------

    def _check_loglikelihood(self, index: int, req: Request) -> None:
        where = f"{self.name}.loglikelihood, request {index}"
        if req.kind != "loglikelihood" or not isinstance(req.input, str) or req.continuations is None:
            raise ModelError(
                "a loglikelihood request needs a string context and a list of continuations",
                where=where,
                fix="build it as Request('loglikelihood', context, continuations=[...])",
            )
        if not req.input:
            raise ModelError(
                "the context is empty: OpenAI-compatible servers give no log-probability for a prompt's first "
                "token, so the continuation cannot be scored",
                where=where,
                fix="give the template a non-empty context (e.g. a question before the answer)",
            )

    async def _loglikelihood_one(self, req: Request) -> Response:
        context = req.input
        assert isinstance(context, str) and req.continuations is not None  # checked in loglikelihood()
        continuations = req.continuations
        if not continuations:
            return Response(loglikelihoods=[], is_greedy=[], continuation_tokens=[])
        body = self._body_base.copy()
        body.update(prompt=[context + c for c in continuations], echo=True, logprobs=1, temperature=0.0)

        def parse(data: dict[str, Any]) -> Response:
            return parse_loglikelihood(data, context, continuations)

        while True:
            body["max_tokens"] = self._ll_max_tokens
            try:
                return await self._post(self._completions_url, body, parse)
            except _Refused as exc:
                # Some servers refuse max_tokens=0 next to echo; one generated token is ignored by the parser.
                if exc.status == 400 and body["max_tokens"] == 0:
                    self._ll_max_tokens = 1
                    continue
                if exc.status in _PER_REQUEST_STATUSES and self._settings.on_error == "record":
                    return Response(error=f"HTTP {exc.status}: {exc.server_message}")
                raise
