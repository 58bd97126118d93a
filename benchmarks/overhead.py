"""Framework overhead: assay vs the bare client (and Inspect, lm-eval where their venvs exist).

Runs the shared bench's 2000-question generation task against its fake OpenAI-compatible
server (50 ms latency) at several concurrencies, with per-sample logging on, and prints
samples/s, CPU seconds per 1000 samples (whole process tree, /usr/bin/time -v), time to
first request, and ratios against the bare client measured in the same sitting.

    python benchmarks/overhead.py                    # c = 1 16 64 256
    python benchmarks/overhead.py --conc 64 256 --peers inspect lmeval
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = (HERE / ".." / ".." / "shared" / "bench").resolve()
PEER_VENVS = {"raw": "/tmp/venv-raw", "inspect": "/tmp/venv-inspect", "lmeval": "/tmp/venv-lmeval"}
EXPECTED_ACCURACY = 0.2435


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str) -> dict:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def parse_time_v(path: Path) -> dict[str, float]:
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key == "User time (seconds)":
            out["user"] = float(value)
        elif key == "System time (seconds)":
            out["sys"] = float(value)
        elif key == "Maximum resident set size (kbytes)":
            out["rss_mb"] = float(value) / 1024
    return out


def run_assay(base: str, conc: int, workdir: Path) -> dict:
    log_dir = workdir / f"assay-c{conc}"
    timing = workdir / f"assay-c{conc}.time"
    cmd = [
        "/usr/bin/time",
        "-v",
        "-o",
        str(timing),
        sys.executable,
        "-m",
        "assay.cli",
        "run",
        f"{HERE / 'mcq_task.py'}:mcq",
        "--model",
        "openai/fake-model",
        "--base-url",
        base,
        "--max-connections",
        str(conc),
        "--no-cache",
        "--quiet",
        "--log-dir",
        str(log_dir),
    ]
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OPENAI_API_KEY": "dummy"})
    wall = time.time() - t0
    if proc.returncode != 0:
        raise SystemExit(f"assay failed:\n{proc.stderr}")
    stats = http("GET", base.replace("/v1", "") + "/stats")
    run_dir = next(log_dir.iterdir())
    results = json.loads((run_dir / "results.json").read_text())
    t = parse_time_v(timing)
    return {
        "framework": "assay",
        "conc": conc,
        "wall_s": wall,
        "startup_s": stats["first_request_ts"] - t0 if stats["first_request_ts"] else None,
        "cpu_s": t["user"] + t["sys"],
        "rss_mb": t["rss_mb"],
        "requests": stats["requests"],
        "repeated": stats["repeated_prompts"],
        "accuracy": results["metrics"]["accuracy"]["value"],
    }


def run_peer(fw: str, port: int, conc: int, workdir: Path) -> dict | None:
    if not Path(PEER_VENVS[fw]).is_dir():
        print(f"  ({fw}: {PEER_VENVS[fw]} missing; `bash {BENCH}/run_anchors.sh` creates it)", file=sys.stderr)
        return None
    out = workdir / f"{fw}-c{conc}.jsonl"
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "run_one.py"),
            "--framework",
            fw,
            "--concurrency",
            str(conc),
            "--port",
            str(port),
            "--run-root",
            str(workdir / f"{fw}-c{conc}"),
            "--results",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    rec = json.loads(out.read_text().splitlines()[-1])
    return {
        "framework": fw,
        "conc": conc,
        "wall_s": rec["wall_s"],
        "startup_s": rec.get("startup_s"),
        "cpu_s": rec["user_s"] + rec["sys_s"],
        "rss_mb": rec["max_rss_kb"] / 1024,
        "requests": rec.get("server_requests"),
        "repeated": rec.get("server_repeated_prompts"),
        "accuracy": rec.get("accuracy"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conc", type=int, nargs="+", default=[1, 16, 64, 256])
    ap.add_argument("--peers", nargs="*", default=["raw"], choices=["raw", "inspect", "lmeval"])
    ap.add_argument("--latency-ms", type=int, default=50)
    args = ap.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            str(BENCH / "fake_openai_server.py"),
            "--port",
            str(port),
            "--latency-ms",
            str(args.latency_ms),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    rows: list[dict] = []
    try:
        for _ in range(50):
            try:
                http("GET", f"http://127.0.0.1:{port}/stats")
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as tmp:
            for conc in args.conc:
                for fw in ["assay", *args.peers]:
                    http("POST", f"http://127.0.0.1:{port}/stats/reset")
                    row = run_assay(base, conc, Path(tmp)) if fw == "assay" else run_peer(fw, port, conc, Path(tmp))
                    if row:
                        rows.append(row)
                        print(json.dumps(row), file=sys.stderr)
    finally:
        server.terminate()
        server.wait()
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    n = 2000
    print(
        f"\n{'framework':<10}{'conc':>6}{'samples/s':>11}{'CPU s/1000':>12}{'first req s':>13}"
        f"{'RSS MiB':>9}{'requests':>10}{'accuracy':>10}{'x raw speed':>13}{'x raw CPU':>11}"
    )
    raw = {r["conc"]: r for r in rows if r["framework"] == "raw"}
    for r in rows:
        rate = n / r["wall_s"]
        cpu = r["cpu_s"] / n * 1000
        base = raw.get(r["conc"])
        speed = f"{rate / (n / base['wall_s']):.2f}" if base else "-"
        cpu_ratio = f"{cpu / (base['cpu_s'] / n * 1000):.2f}" if base else "-"
        startup = f"{r['startup_s']:.2f}" if r["startup_s"] is not None else "-"
        print(
            f"{r['framework']:<10}{r['conc']:>6}{rate:>11.1f}{cpu:>12.2f}{startup:>13}{r['rss_mb']:>9.0f}"
            f"{r['requests']!s:>10}{r['accuracy']!s:>10}{speed:>13}{cpu_ratio:>11}"
        )
    bad = [r for r in rows if r["accuracy"] is not None and abs(r["accuracy"] - EXPECTED_ACCURACY) > 1e-9]
    if bad:
        print(f"WARNING: accuracy differs from the expected {EXPECTED_ACCURACY} in {len(bad)} run(s)")


if __name__ == "__main__":
    main()
