"""CPU cost of the `openai/...` provider against the shared fake server, beside a bare aiohttp client.

Starts `fake_openai_server.py` (50 ms latency) on a free loopback port, sends the same
chat requests at the same concurrency through `OpenAIModel.generate` and through a bare
aiohttp loop, and prints samples/s and client CPU-seconds per 1000 requests for each,
and the provider's ratio to the bare client.

    .venv/bin/python benchmarks/openai_provider_cpu.py [--n 2000] [--concurrency 256] [--httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp

from assay.models.base import GenerateConfig, Request
from assay.models.openai import OpenAIModel
from assay.models.registry import ModelOptions

FAKE_SERVER = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "fake_openai_server.py"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def prompts(n: int) -> list[str]:
    return [f"Question Q-{i}: which letter? A, B, C or D.\nAnswer:" for i in range(n)]


async def run_provider(url: str, n: int, concurrency: int) -> list[str]:
    model = OpenAIModel("fake-model", ModelOptions(base_url=url, max_connections=concurrency, max_retries=2))
    requests = [Request("generate", p, config=GenerateConfig(max_tokens=4)) for p in prompts(n)]
    answers = [""] * n
    async for i, response in model.generate(requests):
        answers[i] = response.text
    await model.aclose()
    return answers


async def run_httpx(url: str, n: int, concurrency: int) -> list[str]:
    """The same bare loop on httpx (the client DESIGN.md names), to show why the provider uses aiohttp."""
    import httpx

    answers = [""] * n
    todo = iter(range(n))
    texts = prompts(n)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60, http2=False) as client:

        async def worker() -> None:
            for i in todo:
                body = {"model": "fake-model", "messages": [{"role": "user", "content": texts[i]}], "max_tokens": 4}
                resp = await client.post(
                    f"{url}/chat/completions",
                    content=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                )
                answers[i] = json.loads(resp.content)["choices"][0]["message"]["content"]

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answers


async def run_bare(url: str, n: int, concurrency: int) -> list[str]:
    """The least a client can do: one pooled session, a fixed set of workers, json in and out."""
    answers = [""] * n
    todo = iter(range(n))
    texts = prompts(n)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            for i in todo:
                body = {"model": "fake-model", "messages": [{"role": "user", "content": texts[i]}], "max_tokens": 4}
                async with session.post(
                    f"{url}/chat/completions",
                    data=json.dumps(body).encode(),
                    headers={"Content-Type": "application/json"},
                ) as resp:
                    answers[i] = json.loads(await resp.read())["choices"][0]["message"]["content"]

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answers


def measure(
    name: str, fn: Callable[[str, int, int], Coroutine[Any, Any, list[str]]], url: str, n: int, conc: int
) -> tuple[float, float, list[str]]:
    asyncio.run(fn(url, min(n, 2 * conc), conc))  # warm-up: imports, connection set-up paths
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    answers = asyncio.run(fn(url, n, conc))
    cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - t0
    rate, cpu_per_1000 = n / wall, cpu / n * 1000
    print(f"{name:>10}: {rate:7.0f} samples/s   {cpu_per_1000:.3f} CPU-s per 1000 requests")
    return rate, cpu_per_1000, answers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--repeat", type=int, default=1, help="alternate the two clients this many times")
    ap.add_argument("--httpx", action="store_true", help="also time a bare httpx client (slow: ~10x the CPU)")
    ap.add_argument("--server", type=Path, default=FAKE_SERVER, help="path of fake_openai_server.py")
    args = ap.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(args.server), "--port", "0", "--latency-ms", str(args.latency_ms)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        match = re.search(r"(http://\S+)", server.stderr.readline())
        if match is None:
            sys.exit("the fake server did not report its URL")
        url = match.group(1)
        print(f"{args.n} chat requests, concurrency {args.concurrency}, server latency {args.latency_ms:g} ms")
        for _ in range(args.repeat):
            p_rate, p_cpu, p_answers = measure("assay", run_provider, url, args.n, args.concurrency)
            b_rate, b_cpu, b_answers = measure("bare", run_bare, url, args.n, args.concurrency)
            assert p_answers == b_answers, "the provider's answers differ from the bare client's"
            print(
                f"{'ratio':>10}: {p_rate / b_rate:7.2f}x throughput   {p_cpu / b_cpu:.2f}x CPU (assay / bare aiohttp)"
            )
            if args.httpx:
                h_rate, h_cpu, h_answers = measure("httpx", run_httpx, url, args.n, args.concurrency)
                assert h_answers == b_answers, "the httpx client's answers differ from the bare client's"
                print(
                    f"{'ratio':>10}: {p_rate / h_rate:7.2f}x throughput   {p_cpu / h_cpu:.2f}x CPU (assay / bare httpx)"
                )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
