"""A pooled JSON-over-HTTP client that sorts failures into "retry" and "give up".

Built on aiohttp rather than httpx: at 256 concurrent requests against a 50 ms
server, httpx 0.28 spent about 8 CPU-seconds per 1000 requests in its connection
pool (a scan of every connection per request) and managed ~100 requests/s, while
aiohttp spent about 0.18 CPU-s per 1000 at ~3000 requests/s on the same machine
(see benchmarks/openai_provider_cpu.py). The provider must cost well under a
millisecond of CPU per request, so the faster client wins.

`post_json` returns the decoded JSON object, or raises `TransientHTTPError` (worth
retrying: timeouts, refused or dropped connections, 429/5xx, malformed or non-JSON
bodies) or `FatalHTTPError` (retrying cannot help: 400, 401, 403, 404...).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from assay.models.retry import is_retryable_status, parse_retry_after

_SNIPPET = 300  # characters of a bad body worth quoting in an error message


class TransientHTTPError(Exception):
    """A failure that a later attempt may get past; `retry_after` is the server's requested pause."""

    def __init__(self, description: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
        self.retry_after = retry_after


class FatalHTTPError(Exception):
    """The server refused the request in a way that repeating it cannot fix."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def server_message(body: bytes) -> str:
    """The human-readable error a server put in its body, whatever shape it used."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:_SNIPPET] or "(empty body)"
    # OpenAI: {"error": {"message": ...}}; some servers: {"error": "..."}; FastAPI: {"detail": ...}
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            for key in ("message", "detail", "msg"):
                if err.get(key):
                    return str(err[key])[: _SNIPPET * 3]
        elif isinstance(err, str) and err:
            return err[: _SNIPPET * 3]
        if data.get("detail"):
            return str(data["detail"])[: _SNIPPET * 3]
    return text[: _SNIPPET * 3]


class JsonHttpClient:
    """POSTs JSON bodies over one pooled aiohttp session, created lazily in the running event loop.

    `max_connections` bounds the pool; `timeout` bounds each call from connect to last byte.
    """

    def __init__(
        self, *, max_connections: int, timeout: float, headers: dict[str, str], trust_env: bool = False
    ) -> None:
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._timeout_s = timeout
        self._headers = headers
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None

    async def _open(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        # Nothing here awaits before the session is stored, so workers that arrive together share one pool.
        old = self._session
        if old is not None and not old.closed:
            old.detach()  # made in another loop that is still open (rare); that loop's owner must close it
        connector = aiohttp.TCPConnector(limit=self._max_connections, limit_per_host=0, ttl_dns_cache=300)
        session = aiohttp.ClientSession(
            connector=connector,
            headers=self._headers,
            timeout=self._timeout,
            trust_env=self._trust_env,
            raise_for_status=False,
        )
        self._session, self._loop = session, loop
        # A session belongs to the loop that made it, and the sync facade runs a new loop per call. The guard
        # is an async generator, which asyncio.run() closes (closing the session) before it closes its loop,
        # so a user who never calls aclose() leaks no sockets.
        self._guard = _close_on_loop_exit(session)
        await self._guard.__anext__()  # runs to the guard's first yield without suspending
        return session

    async def post_json(self, url: str, body: bytes) -> dict[str, Any]:
        """POST `body` (already JSON-encoded) and return the decoded JSON object."""
        session = self._session
        loop = asyncio.get_running_loop()
        if session is None or self._loop is not loop or session.closed:
            session = await self._open(loop)
        try:
            async with session.post(url, data=body) as resp:
                raw = await resp.read()
                status = resp.status
                ctype = resp.headers.get("Content-Type", "")
                retry_after_header = resp.headers.get("Retry-After")
        except TimeoutError as exc:  # aiohttp's own timeout classes derive from it
            raise TransientHTTPError(f"no answer within the {self._timeout_s:g} s timeout") from exc
        except aiohttp.ClientConnectorError as exc:
            raise TransientHTTPError(f"cannot connect ({exc.os_error.strerror or exc})") from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise TransientHTTPError("the server closed the connection without answering") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise TransientHTTPError(f"{type(exc).__name__}: {exc}") from exc

        if status != 200:
            message = server_message(raw)
            if is_retryable_status(status):
                raise TransientHTTPError(
                    f"HTTP {status}: {message}", status=status, retry_after=parse_retry_after(retry_after_header)
                )
            raise FatalHTTPError(status, message)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            # A proxy's HTML error page under 200 is the classic case; quote it so the user sees who answered.
            what = "a non-JSON body" if "json" in ctype else f"content type {ctype or '(none)'!r}"
            snippet = raw[:_SNIPPET].decode("utf-8", "replace")
            raise TransientHTTPError(f"HTTP 200 with {what}: {snippet!r}", status=status) from exc
        if not isinstance(data, dict):
            raise TransientHTTPError(f"HTTP 200 with JSON that is not an object: {raw[:_SNIPPET]!r}", status=status)
        return data

    async def aclose(self) -> None:
        """Close the pool; a later call opens a new one."""
        session, guard, self._session, self._guard = self._session, self._guard, None, None
        if session is None or session.closed:
            return
        if self._loop is asyncio.get_running_loop() and guard is not None:
            await guard.aclose()
        else:
            session.detach()


async def _close_on_loop_exit(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await session.close()
