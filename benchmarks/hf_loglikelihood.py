"""Multiple-choice log-likelihood on SmolLM2: assay's hf provider side by side with lm-eval's `hf` model.

Both score the same N four-choice questions from the shared bench (`mcq_2000.jsonl`), formatted
"question\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\nAnswer:", either with the letters " A".." D" (`--choices
letters`, lm-eval's own multiple_choice flavour) or with the choice texts (`--choices texts`, where
continuations are several tokens and sharing the context pass matters most). Both load the same
converted HF folder, in float32 on CPU, with the same batch size; model loading is not timed.

lm-eval runs in its own venv (`/tmp/venv-lmeval`, made by ../shared/bench/run_anchors.sh from
requirements/lmeval.txt plus torch and transformers) through its Python API, in a subprocess.

    .venv/bin/python benchmarks/hf_loglikelihood.py --n 100 --choices both

It prints questions/second and scored tokens/second for each, the ratio, and whether the two agree
(argmax per question, accuracy, largest log-likelihood difference). `--no-share` adds assay with
each (context, choice) pair sent as its own request: the cost of not sharing the context.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

BENCH_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "mcq_2000.jsonl"
LMEVAL_PY = Path("/tmp/venv-lmeval/bin/python")

LMEVAL_CHILD = r"""
import json, sys, time
import torch
from lm_eval.api.instance import Instance
from lm_eval.models.huggingface import HFLM
spec = json.loads(sys.stdin.read())
torch.set_num_threads(spec["threads"])
lm = HFLM(pretrained=spec["folder"], batch_size=spec["batch_size"], dtype="float32", device="cpu")
pairs = [(c, k) for c, conts in spec["requests"] for k in conts]
inst = [Instance("loglikelihood", {}, pair, i) for i, pair in enumerate(pairs)]
lm.loglikelihood(inst[:8], disable_tqdm=True)  # warm-up, not timed
start = time.perf_counter()
out = lm.loglikelihood(inst, disable_tqdm=True)
elapsed = time.perf_counter() - start
print(json.dumps({"elapsed": elapsed, "loglikelihoods": [float(x[0]) for x in out]}))
"""


def load_questions(n: int) -> list[dict[str, Any]]:
    with BENCH_DATA.open() as f:
        return [json.loads(line) for _, line in zip(range(n), f, strict=False)]


def build(questions: list[dict[str, Any]], choices: str) -> list[tuple[str, list[str]]]:
    out = []
    for q in questions:
        body = "\n".join([q["question"]] + [f"{L}. {c}" for L, c in zip("ABCD", q["choices"], strict=True)])
        conts = [" A", " B", " C", " D"] if choices == "letters" else [f" {c}" for c in q["choices"]]
        out.append((body + "\nAnswer:", conts))
    return out


def run_assay(model: Any, requests: list[tuple[str, list[str]]], share: bool) -> tuple[float, list[list[float]]]:
    from assay.models.base import Request

    if share:
        reqs = [Request("loglikelihood", ctx, continuations=conts) for ctx, conts in requests]
    else:  # one request per (context, choice): the context is computed once per choice
        reqs = [Request("loglikelihood", ctx, continuations=[c]) for ctx, conts in requests for c in conts]

    async def go(batch: list[Request]) -> dict[int, Any]:
        return {i: r async for i, r in model.loglikelihood(batch)}

    asyncio.run(go(reqs[:2]))  # warm-up, not timed
    start = time.perf_counter()
    got = asyncio.run(go(reqs))
    elapsed = time.perf_counter() - start
    flat = [got[i].loglikelihoods for i in range(len(reqs))]
    if share:
        return elapsed, flat
    values = [v[0] for v in flat]
    return elapsed, [values[4 * i : 4 * i + 4] for i in range(len(requests))]


def run_lmeval(folder: Path, requests: list[tuple[str, list[str]]], batch_size: int, threads: int) -> Any:
    spec = {"folder": str(folder), "batch_size": batch_size, "requests": requests, "threads": threads}
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run(
        [str(LMEVAL_PY), "-c", LMEVAL_CHILD], input=json.dumps(spec), capture_output=True, text=True, env=env
    )
    if proc.returncode != 0:
        sys.exit(f"lm-eval failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    values = result["loglikelihoods"]
    return result["elapsed"], [values[4 * i : 4 * i + 4] for i in range(len(requests))]


def argmaxes(rows: list[list[float]]) -> list[int]:
    return [max(range(len(r)), key=r.__getitem__) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="questions (first N of mcq_2000.jsonl)")
    parser.add_argument("--choices", choices=["letters", "texts", "both"], default="both")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--no-share", action="store_true", help="also time assay without context sharing")
    parser.add_argument("--skip-lmeval", action="store_true")
    parser.add_argument("--reps", type=int, default=1, help="repetitions, interleaved; the median time is shown")
    opts = parser.parse_args()

    import torch

    from assay.models.hf import HFModel
    from assay.models.registry import ModelOptions

    threads = torch.get_num_threads()
    model = HFModel("smollm2", ModelOptions(model_args={"batch_size": str(opts.batch_size)}))
    tok = model._tokenizer
    questions = load_questions(opts.n)
    answers = ["ABCD".index(q["answer"]) for q in questions]
    print(f"SmolLM2-135M-Instruct (float32, CPU, {threads} threads), {len(questions)} questions, "
          f"batch_size={opts.batch_size}, folder {model.resolved.folder}")  # fmt: skip
    for choices in ["letters", "texts"] if opts.choices == "both" else [opts.choices]:
        requests = build(questions, choices)
        # tokens of every (context, choice) pair: what an evaluator without context sharing runs
        tokens = sum(len(tok(c + k)["input_ids"]) for c, ks in requests for k in ks)
        if not opts.skip_lmeval and not LMEVAL_PY.exists():
            sys.exit(f"{LMEVAL_PY} is missing: create it as described in this file's docstring")
        runs: dict[str, tuple[list[float], list[list[float]]]] = {}
        for _ in range(opts.reps):  # interleaved, so a burst of load on a shared machine hits all alike
            contenders: list[tuple[str, Any]] = [("assay hf", partial(run_assay, model, requests, share=True))]
            if opts.no_share:
                contenders.append(("assay hf, no sharing", partial(run_assay, model, requests, share=False)))
            if not opts.skip_lmeval:
                folder = model.resolved.folder
                contenders.append(("lm-eval hf", partial(run_lmeval, folder, requests, opts.batch_size, threads)))
            for name, fn in contenders:
                elapsed, values = fn()
                runs.setdefault(name, ([], values))[0].append(elapsed)
        rows = [(name, statistics.median(times), values) for name, (times, values) in runs.items()]
        print(f"\n== continuations: {choices} ({tokens} tokens in (context, choice) pairs, {opts.reps} reps)")
        print(f"{'':24}{'seconds':>9}{'q/s':>9}{'tok/s':>9}{'accuracy':>10}")
        for name, secs, vals in rows:
            acc = sum(a == b for a, b in zip(argmaxes(vals), answers, strict=True)) / len(answers)
            print(f"{name:24}{secs:9.2f}{len(requests) / secs:9.2f}{tokens / secs:9.0f}{acc:10.3f}")
        base_name, base_secs, base_vals = rows[0]
        for name, secs, vals in rows[1:]:
            agree = sum(a == b for a, b in zip(argmaxes(vals), argmaxes(base_vals), strict=True))
            diff = max(abs(x - y) for r, s in zip(vals, base_vals, strict=True) for x, y in zip(r, s, strict=True))
            print(f"{base_name} vs {name}: {secs / base_secs:.2f}x faster; same choice on {agree}/{len(vals)} "
                  f"questions; largest log-likelihood difference {diff:.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
