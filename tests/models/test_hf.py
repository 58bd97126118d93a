"""The hf provider on the real embedded SmolLM2-135M-Instruct (GGUF, converted once into the pytest cache)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest
from tests.embedded_model import smollm2_missing

if missing := smollm2_missing():
    pytest.skip(missing, allow_module_level=True)

import torch

from assay.models import hf_loading
from assay.models.base import GenerateConfig, Request, Response
from assay.models.hf import HFModel
from assay.models.hf_batching import encode_loglikelihood, loglikelihood_naive
from assay.models.registry import ModelOptions, get_model

pytestmark = pytest.mark.slow

# MMLU-style questions (written for this test): question, choices, index of the answer.
QUESTIONS = [
    ("What is the capital of France?", ["Berlin", "Madrid", "Paris", "Rome"], 2),
    ("Which planet is known as the Red Planet?", ["Venus", "Mars", "Jupiter", "Saturn"], 1),
    ("What is 7 multiplied by 8?", ["54", "56", "58", "64"], 1),
    (
        "Which gas do plants absorb from the air for photosynthesis?",
        ["Oxygen", "Nitrogen", "Carbon dioxide", "Helium"],
        2,
    ),
    ("Who wrote the play 'Romeo and Juliet'?", ["Charles Dickens", "William Shakespeare", "Jane Austen", "Homer"], 1),
    ("What is the chemical symbol for gold?", ["Ag", "Au", "Gd", "Go"], 1),
]


def mcq_prompt(question: str, choices: list[str]) -> str:
    lines = [question] + [f"{letter}. {text}" for letter, text in zip("ABCD", choices, strict=True)]
    return "\n".join(lines) + "\nAnswer:"


def ll_requests() -> list[Request]:
    letters = [
        Request("loglikelihood", mcq_prompt(q, c), continuations=[" A", " B", " C", " D"]) for q, c, _ in QUESTIONS
    ]
    texts = [
        Request("loglikelihood", f"Question: {q}\nAnswer:", continuations=[f" {x}" for x in c]) for q, c, _ in QUESTIONS
    ]
    # letters + choice texts of the same questions: one-token and multi-token continuations
    return letters + texts


@pytest.fixture(scope="module")
def cache_dir(assay_cache_dir: Path) -> Path:
    return assay_cache_dir  # tests/conftest.py: converted models persist under the pytest cache


@pytest.fixture(scope="module")
def smol(cache_dir: Path) -> HFModel:
    model = get_model("hf/smollm2")
    assert isinstance(model, HFModel)
    return model


def collect(stream: Any) -> dict[int, Response]:
    async def run() -> dict[int, Response]:
        return {i: r async for i, r in stream}

    return asyncio.run(run())


def test_loads_offline_and_reuses_conversion(smol: HFModel, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = smol.resolved.folder
    assert folder.parent == cache_dir / "models" and (folder / "model.safetensors").is_file()
    assert smol.resolved.converted_from == hf_loading.embedded_gguf()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    def no_second_conversion(*_: object) -> None:
        raise AssertionError("the GGUF file was converted again")

    monkeypatch.setattr(hf_loading, "_write_dequantized", no_second_conversion)
    started = time.perf_counter()
    again = HFModel("smollm2", ModelOptions())
    assert time.perf_counter() - started < 20  # a reload, not a 20-40 s dequantization
    assert again.resolved.folder == folder
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert again.cache_identity() == smol.cache_identity()
    ident = smol.cache_identity()
    assert ident["model"] == "smollm2" and ident["dtype"] == "float32" and ident["fingerprint"]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_capital_sanity(smol: HFModel) -> None:
    req = Request("loglikelihood", "The capital of France is", continuations=[" Paris", " banana"])
    got = collect(smol.loglikelihood([req]))[0]
    assert got.loglikelihoods is not None
    paris, banana = got.loglikelihoods
    assert paris > banana + 5
    assert got.is_greedy == [True, False] and got.continuation_tokens == [1, 1]


def test_loglikelihood_batched_unbatched_naive(smol: HFModel) -> None:
    reqs = ll_requests()
    batched = collect(smol.loglikelihood(reqs))
    single = {i: collect(smol.loglikelihood([r]))[0] for i, r in enumerate(reqs)}
    correct = 0
    for i, req in enumerate(reqs):
        a, b = batched[i], single[i]
        assert a.error is None and a.loglikelihoods is not None and b.loglikelihoods is not None
        assert a.loglikelihoods == pytest.approx(b.loglikelihoods, abs=1e-4)
        assert a.is_greedy == b.is_greedy
        answer = QUESTIONS[i % len(QUESTIONS)][2]
        correct += max(range(4), key=lambda k: a.loglikelihoods[k]) == answer  # type: ignore[index]
        if i % len(QUESTIONS) == 3:  # the naive reference costs a full forward per choice: check a few
            text, special = smol._render(req.input)
            ctx, conts = encode_loglikelihood(smol._tokenizer, text, req.continuations or [], special, 0)
            with torch.inference_mode():
                naive = [loglikelihood_naive(smol._model, ctx, c, smol.device)[0] for c in conts]
            assert a.loglikelihoods == pytest.approx(naive, abs=1e-4)
    assert correct >= 4  # chance is 3 of 12


GEN = [
    "What is the capital of France? Answer in one word.",
    "Name a primary colour.",
    "What is 2 + 2?",
    "Write the word 'hello' in capital letters.",
]


def test_generation_deterministic_and_batch_independent(smol: HFModel) -> None:
    cfg = GenerateConfig(max_tokens=16)
    reqs = [Request("generate", [{"role": "user", "content": p}], cfg) for p in GEN]
    first = collect(smol.generate(reqs))
    single = {i: collect(smol.generate([r]))[0] for i, r in enumerate(reqs)}  # also a second, separate run
    for i in range(len(GEN)):
        assert first[i].error is None and first[i].text.strip()
        assert first[i].text == single[i].text
        usage = first[i].usage
        assert usage is not None and usage["completion_tokens"] <= 16
    assert "paris" in first[0].text.lower()


def test_chat_template_applied_to_messages(smol: HFModel) -> None:
    text, special = smol._render([{"role": "user", "content": "Hi"}])
    assert "<|im_start|>user\nHi<|im_end|>" in text and text.rstrip().endswith("<|im_start|>assistant")
    assert special is False
    assert smol._render("Hi") == ("Hi", True)
    reqs = [
        Request("generate", "Hi", GenerateConfig(max_tokens=4)),
        Request("generate", [{"role": "user", "content": "Hi"}], GenerateConfig(max_tokens=4)),
    ]
    out = collect(smol.generate(reqs))
    assert out[1].usage and out[0].usage and out[1].usage["prompt_tokens"] > out[0].usage["prompt_tokens"] + 5


def test_sampling_with_seed_and_stop(smol: HFModel) -> None:
    msg = [{"role": "user", "content": "Tell me a short story about a cat."}]
    cfg = GenerateConfig(max_tokens=20, temperature=0.9, seed=123, logprobs=True)
    a = collect(smol.generate([Request("generate", msg, cfg)]))[0]
    b = collect(smol.generate([Request("generate", msg, cfg)]))[0]
    assert a.text == b.text and a.token_logprobs == b.token_logprobs
    stopped = collect(smol.generate([Request("generate", msg, GenerateConfig(max_tokens=20, stop=[" "]))]))[0]
    assert " " not in stopped.text


def test_no_hub_access_env(cache_dir: Path) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_generate_top_logprobs_match_a_forward_pass(smol: HFModel) -> None:
    from tests.models.test_hf_tiny import check_top_logprobs_against_forward

    prompts = ["The capital of France is", "Water boils at a temperature of"]
    cfg = GenerateConfig(max_tokens=6, top_logprobs=5)
    got = collect(smol.generate([Request("generate", p, cfg) for p in prompts]))
    for i, prompt in enumerate(prompts):
        assert got[i].error is None
        tops = got[i].top_logprobs
        assert tops is not None and all(t == dict(sorted(t.items(), key=lambda kv: -kv[1])) for t in tops)
        check_top_logprobs_against_forward(smol, prompt, got[i], 5)
    assert any(key.startswith(" ") for t in got[0].top_logprobs or [] for key in t)  # tokens keep their leading space
