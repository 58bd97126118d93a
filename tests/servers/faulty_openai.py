"""An OpenAI-compatible test server on loopback that fails on purpose, deterministically.

Serves POST /v1/chat/completions and /v1/completions (with echo + logprobs for
log-likelihood scoring) with answers derived from a hash of the prompt, and injects
faults chosen from a hash of (prompt, attempt number), so a run is reproducible:

  429     Too Many Requests with `Retry-After` (seconds, or an HTTP date)
  500     Internal Server Error        503   Service Unavailable
  slow    a correct answer, but only after `slow_s` seconds (longer than a client's timeout)
  drop    the connection closed without an answer
  malformed  HTTP 200, application/json, truncated JSON
  html    HTTP 200 with a text/html proxy error page

Settings (`FaultConfig`): `fail_rate` (share of attempts that fail), `fail_first` (the
first N attempts at every prompt fail), `faults` (which kinds), `down` (every
completion request has its connection dropped), `reject_status`/`reject_message`
(answer every completion request with that status), `latency_ms`,
`reject_max_tokens_zero` (400 for echo with max_tokens=0, as some servers do),
`logprobs_supported` (False: ignore echo, logprobs and top_logprobs, as many servers do).

Admin endpoints: GET /admin/stats, POST /admin/config (JSON of settings to change),
POST /admin/reset (counters and settings back to the start). Stats count requests per
prompt, successful answers per prompt, faults by kind and the most requests in flight.

Judge mode: a chat prompt that is an assay judge rubric (refusal, StrongREJECT) is answered in that
rubric's format with a verdict derived from the graded response (see `openai_answers.judge_reply`).

In a test: `with FaultyOpenAIServer(fail_rate=0.2) as server: ... server.url ...`.
From a shell: `python -m tests.servers.faulty_openai --port 0 --fail-rate 0.2` prints
`URL http://127.0.0.1:PORT/v1` on stdout, then serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from tests.servers.openai_answers import chat_answer, completion_answer, prompt_texts, unit

ALL_FAULTS = ("429", "500", "503", "slow", "drop", "malformed", "html")
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class FaultConfig:
    """What the server does; every field can be changed at run time."""

    fail_rate: float = 0.0
    fail_first: int = 0
    faults: list[str] = field(default_factory=lambda: list(ALL_FAULTS))
    down: bool = False
    reject_status: int | None = None
    reject_message: str = "rejected by the test server"
    retry_after: float = 0.3
    retry_after_date: bool = False
    slow_s: float = 5.0
    latency_ms: float = 0.0
    reject_max_tokens_zero: bool = False
    logprobs_supported: bool = True  # False: answer as a server that ignores echo/logprobs (e.g. Ollama)
    seed: int = 0


# ---- the server --------------------------------------------------------------------------------------


def _response(status: int, payload: bytes, ctype: str = "application/json", extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(payload)}\r\n{extra}Connection: keep-alive\r\n\r\n"
    )
    return head.encode("latin-1") + payload


def _error(status: int, message: str, extra: str = "") -> bytes:
    return _response(status, json.dumps({"error": {"message": message, "type": "test"}}).encode(), extra=extra)


class FaultyOpenAIServer:
    """The server, run in a background thread with its own event loop (or in the foreground by `serve`)."""

    def __init__(self, port: int = 0, **config: Any) -> None:
        self.port = port
        self._initial = FaultConfig(**config)
        self.config = dataclasses.replace(self._initial)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._reset_counters()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- control, callable from any thread --

    def configure(self, **changes: Any) -> None:
        """Change settings (e.g. `fail_rate=0.2, faults=["500"]`); unknown names raise TypeError."""
        self.config = dataclasses.replace(self.config, **changes)

    def reset(self) -> None:
        """Counters to zero and settings back to those given at construction."""
        self._call(self._reset_async)

    def stats(self) -> dict[str, Any]:
        """A snapshot of the counters (see `_snapshot`)."""
        result: dict[str, Any] = self._call(self._snapshot_async)
        return result

    def _call(self, fn: Any) -> Any:
        if self._loop is None or self._thread is None:  # not running in a thread: call directly
            return asyncio.run(fn())
        fut: Future[Any] = asyncio.run_coroutine_threadsafe(fn(), self._loop)
        return fut.result(timeout=10)

    async def _reset_async(self) -> None:
        self.config = dataclasses.replace(self._initial)
        self._reset_counters()

    async def _snapshot_async(self) -> dict[str, Any]:
        return self._snapshot()

    def _reset_counters(self) -> None:
        self.requests = 0
        self.per_prompt: dict[str, int] = {}
        self.successes: dict[str, int] = {}
        self.faults_served: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        # The last completion request as received (path, JSON body, Authorization header), for tests of what was sent.
        self.last_request: dict[str, Any] | None = None

    def _snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "per_prompt": dict(self.per_prompt),
            "successes": dict(self.successes),
            "repeated_successes": sum(n - 1 for n in self.successes.values() if n > 1),
            "faults": dict(self.faults_served),
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "last_request": self.last_request,
            "config": dataclasses.asdict(self.config),
        }

    # -- lifecycle --

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self) -> FaultyOpenAIServer:
        """Serve in a daemon thread; returns once the port is bound."""
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="faulty-openai", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the faulty OpenAI server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:  # e.g. handlers still sleeping in a "slow" fault
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        loop.close()
        self._thread = self._loop = None

    def __enter__(self) -> FaultyOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def serve(self) -> None:
        """Serve in the current event loop until cancelled (the command-line mode)."""
        await self._start()
        print(f"URL {self.url}", flush=True)
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    # -- HTTP --

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                    lines = head.decode("latin-1").split("\r\n")
                    method, target, _ = lines[0].split(" ", 2)
                    headers = {
                        k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
                    }
                    raw = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
                    return
                out = await self._route(method, target.split("?", 1)[0].rstrip("/"), raw, headers)
                if out is None:  # a dropped connection: close without a word
                    return
                writer.write(out)
                await writer.drain()
        except ConnectionError:
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _route(self, method: str, path: str, raw: bytes, headers: dict[str, str]) -> bytes | None:
        if path.startswith("/admin/"):
            return self._admin(method, path, raw)
        if method == "POST" and path in ("/v1/chat/completions", "/v1/completions"):
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await self._completion(path, raw, headers)
            finally:
                self.in_flight -= 1
        if method == "GET" and path == "/v1/models":
            return _response(200, b'{"object":"list","data":[{"id":"test","object":"model"}]}')
        return _error(404, f"no route {method} {path}")

    def _admin(self, method: str, path: str, raw: bytes) -> bytes:
        if path == "/admin/stats":
            return _response(200, json.dumps(self._snapshot()).encode())
        if path == "/admin/reset" and method == "POST":
            self.config = dataclasses.replace(self._initial)
            self._reset_counters()
            return _response(200, b'{"reset":true}')
        if path == "/admin/config" and method == "POST":
            try:
                self.configure(**json.loads(raw or b"{}"))
            except (TypeError, ValueError) as exc:
                return _error(400, f"bad config: {exc}")
            return _response(200, json.dumps(dataclasses.asdict(self.config)).encode())
        return _error(404, f"no admin route {method} {path}")

    async def _completion(self, path: str, raw: bytes, headers: dict[str, str]) -> bytes | None:
        cfg = self.config
        self.requests += 1
        if cfg.down:
            self._count_fault("down")
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "invalid JSON body")
        self.last_request = {"path": path, "body": body, "authorization": headers.get("authorization")}
        prompts = prompt_texts(body, path)
        key = "\x1e".join(prompts)
        attempt = self.per_prompt.get(prompts[0], 0)
        for p in prompts:
            self.per_prompt[p] = self.per_prompt.get(p, 0) + 1
        if cfg.reject_status is not None:
            return _error(cfg.reject_status, cfg.reject_message)
        if cfg.reject_max_tokens_zero and body.get("echo") and body.get("max_tokens") == 0:
            return _error(400, "max_tokens must be at least 1")
        fault = self._pick_fault(cfg, key, attempt)
        if fault is not None:
            self._count_fault(fault)
            if fault != "slow":
                return self._fault(fault, cfg)
            await asyncio.sleep(cfg.slow_s)
        elif cfg.latency_ms:
            await asyncio.sleep(cfg.latency_ms / 1000)
        if not cfg.logprobs_supported:
            body.pop("logprobs", None)
            body.pop("top_logprobs", None)
            body.pop("echo", None)
        answer = (
            chat_answer(body, prompts[0]) if path.endswith("chat/completions") else completion_answer(body, prompts)
        )
        if fault is None:  # a late answer is meant to miss the client's timeout, so it is not a success
            for p in prompts:
                self.successes[p] = self.successes.get(p, 0) + 1
        return _response(200, json.dumps(answer).encode())

    @staticmethod
    def _pick_fault(cfg: FaultConfig, key: str, attempt: int) -> str | None:
        if not cfg.faults:
            return None
        if attempt < cfg.fail_first or unit(cfg.seed, key, attempt, "fail") < cfg.fail_rate:
            return cfg.faults[int(unit(cfg.seed, key, attempt, "kind") * len(cfg.faults))]
        return None

    def _count_fault(self, fault: str) -> None:
        self.faults_served[fault] = self.faults_served.get(fault, 0) + 1

    @staticmethod
    def _fault(fault: str, cfg: FaultConfig) -> bytes | None:
        """The bytes of a faulty answer; None to drop the connection."""
        if fault == "429":
            when = (
                formatdate(time.time() + cfg.retry_after, usegmt=True)
                if cfg.retry_after_date
                else f"{cfg.retry_after:g}"
            )
            return _error(429, "rate limited by the test server", extra=f"Retry-After: {when}\r\n")
        if fault in ("500", "503"):
            return _error(int(fault), f"test server fault {fault}")
        if fault == "malformed":
            return _response(200, b'{"id": "cmpl-x", "choices": [{"index": 0, "mess')
        if fault == "html":
            return _response(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", ctype="text/html")
        return None  # "drop"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Fault-injecting OpenAI-compatible test server (loopback only).")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fail-rate", type=float, default=0.0)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--faults", default=",".join(ALL_FAULTS), help=f"comma-separated subset of {','.join(ALL_FAULTS)}")
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--retry-after", type=float, default=0.3)
    ap.add_argument("--slow-s", type=float, default=5.0)
    ap.add_argument("--down", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    faults = [f for f in a.faults.split(",") if f]
    unknown = set(faults) - set(ALL_FAULTS)
    if unknown:
        ap.error(f"unknown faults {sorted(unknown)}; choose from {', '.join(ALL_FAULTS)}")
    server = FaultyOpenAIServer(
        port=a.port,
        fail_rate=a.fail_rate,
        fail_first=a.fail_first,
        faults=faults,
        latency_ms=a.latency_ms,
        retry_after=a.retry_after,
        slow_s=a.slow_s,
        down=a.down,
        seed=a.seed,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve())


if __name__ == "__main__":
    main(sys.argv[1:])
