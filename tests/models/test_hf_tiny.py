"""Code-path tests of the hf provider on a random-weight tiny Llama built here (fast, no real model)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from assay.errors import ModelError  # noqa: E402
from assay.models.base import GenerateConfig, Request, Response  # noqa: E402
from assay.models.hf import HFModel  # noqa: E402
from assay.models.hf_batching import loglikelihood_naive  # noqa: E402
from assay.models.registry import ModelOptions  # noqa: E402

CORPUS = [
    "The capital of France is Paris. The quick brown fox jumps over the lazy dog.",
    "Question: which planet is largest? Answer: A. Jupiter B. Mars C. Venus D. Earth",
    "Water boils at one hundred degrees. Cats and dogs are animals; oak and pine are trees.",
]
TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


def build_tiny(folder: Path, chat_template: bool = True) -> Path:
    """A 2-layer Llama with a byte-level BPE tokenizer that adds BOS, saved like a real checkpoint."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<s>", "</s>", "<pad>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tk.train_from_iterator(CORPUS * 5, trainer)
    tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    make_tokenizer: Any = PreTrainedTokenizerFast  # untyped in transformers
    tok = make_tokenizer(tokenizer_object=tk, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    if chat_template:
        tok.chat_template = TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, bos_token_id=0, eos_token_id=1, pad_token_id=2,
        initializer_range=0.5,  # peaked logits: greedy choices are not near-ties that float noise could flip
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny"))


# The same tests run on a GPU with ASSAY_HF_TEST_DEVICE=cuda (float32 there too, so 1e-4 equalities hold).
DEVICE = os.environ.get("ASSAY_HF_TEST_DEVICE", "cpu")


def make(path: Path, **args: str) -> HFModel:
    return HFModel(str(path), ModelOptions(model_args={"device": DEVICE, **args}))


def collect(stream: Any) -> dict[int, Response]:
    async def run() -> dict[int, Response]:
        return {i: r async for i, r in stream}

    return asyncio.run(run())


LL_REQUESTS = [
    Request("loglikelihood", "The capital of France is", continuations=[" Paris", " the lazy dog", " B"]),
    Request("loglikelihood", "Question: which planet is largest?\nAnswer:", continuations=[" A", " B", " C", " D"]),
    Request("loglikelihood", "Cats and dogs are ", continuations=["animals", "trees and oak", "Paris."]),
    Request("loglikelihood", "Water", continuations=[" boils at one hundred degrees", " is wet"]),
    Request("loglikelihood", "", continuations=["The quick brown fox", "Jupiter"]),
]


def test_batched_equals_unbatched_and_naive(tiny_dir: Path) -> None:
    batched = make(tiny_dir, batch_size="8")
    single = make(tiny_dir, batch_size="1")
    all_at_once = collect(batched.loglikelihood(LL_REQUESTS))
    one_by_one = {i: collect(single.loglikelihood([r]))[0] for i, r in enumerate(LL_REQUESTS)}
    assert sorted(all_at_once) == list(range(len(LL_REQUESTS)))
    for i, req in enumerate(LL_REQUESTS):
        a, b = all_at_once[i], one_by_one[i]
        assert a.error is None and a.loglikelihoods is not None and b.loglikelihoods is not None
        assert a.loglikelihoods == pytest.approx(b.loglikelihoods, abs=1e-4)
        assert a.is_greedy == b.is_greedy and a.continuation_tokens == b.continuation_tokens
        # the shared-context result equals a plain full forward pass over context + continuation
        text, special = batched._render(req.input)
        from assay.models.hf_batching import encode_loglikelihood

        ctx, conts = encode_loglikelihood(batched._tokenizer, text, req.continuations or [], special, 0)
        with torch.inference_mode():
            naive = [loglikelihood_naive(batched._model, ctx, c, batched.device) for c in conts]
        assert a.loglikelihoods == pytest.approx([n[0] for n in naive], abs=1e-4)
        assert a.is_greedy == [n[1] for n in naive]


def test_many_continuations_are_chunked(tiny_dir: Path) -> None:
    # batch_size=1 allows 4 continuation rows per pass, so 9 multi-token choices take 3 chunks off one cache.
    conts = [f" the lazy dog {w}" for w in "abcdefghi"]
    req = Request("loglikelihood", "The quick brown fox jumps over", continuations=conts)
    model = make(tiny_dir, batch_size="1")
    got = collect(model.loglikelihood([req]))[0]
    ctx = model._tokenizer("The quick brown fox jumps over")["input_ids"]
    full = [model._tokenizer("The quick brown fox jumps over" + c)["input_ids"][len(ctx) :] for c in conts]
    with torch.inference_mode():
        naive = [loglikelihood_naive(model._model, ctx, c, model.device)[0] for c in full]
    assert got.loglikelihoods == pytest.approx(naive, abs=1e-4)


def test_leading_space_moves_to_continuation(tiny_dir: Path) -> None:
    model = make(tiny_dir)
    a = collect(model.loglikelihood([Request("loglikelihood", "The capital of France is ", continuations=["Paris"])]))
    b = collect(model.loglikelihood([Request("loglikelihood", "The capital of France is", continuations=[" Paris"])]))
    assert a[0].loglikelihoods == pytest.approx(b[0].loglikelihoods, abs=1e-5)
    assert a[0].continuation_tokens == b[0].continuation_tokens


def test_usage_and_empty_continuations_list(tiny_dir: Path) -> None:
    model = make(tiny_dir)
    out = collect(model.loglikelihood([Request("loglikelihood", "Water", continuations=[]), LL_REQUESTS[0]]))
    assert out[0].error and "continuations" in out[0].error
    assert out[1].usage and out[1].usage["prompt_tokens"] > 0


GEN_PROMPTS = ["The capital of France is", "Question: which planet", "Cats", "Water boils at one hundred degrees and"]


def test_generate_batched_equals_single_and_respects_max_tokens(tiny_dir: Path) -> None:
    model = make(tiny_dir, batch_size="4")
    cfg = GenerateConfig(max_tokens=12, logprobs=True)
    reqs = [Request("generate", p, cfg) for p in GEN_PROMPTS]
    batched = collect(model.generate(reqs))
    single = {i: collect(model.generate([r]))[0] for i, r in enumerate(reqs)}
    for i in range(len(reqs)):
        assert batched[i].text == single[i].text
        usage = batched[i].usage
        assert usage is not None and 1 <= usage["completion_tokens"] <= 12
        assert batched[i].token_logprobs is not None and len(batched[i].token_logprobs or []) <= 12
        assert all(lp <= 0 for lp in batched[i].token_logprobs or [])


def test_sampling_seed_is_reproducible(tiny_dir: Path) -> None:
    model = make(tiny_dir)
    reqs = [Request("generate", p, GenerateConfig(max_tokens=10, temperature=1.5, seed=7)) for p in GEN_PROMPTS]
    first = collect(model.generate(reqs))
    second = collect(model.generate(reqs))
    assert [first[i].text for i in range(4)] == [second[i].text for i in range(4)]
    other = collect(model.generate([Request("generate", p, GenerateConfig(10, 1.5, seed=8)) for p in GEN_PROMPTS]))
    assert [first[i].text for i in range(4)] != [other[i].text for i in range(4)]


def test_stop_sequence_truncates(tiny_dir: Path) -> None:
    model = make(tiny_dir)
    base = collect(model.generate([Request("generate", "The capital", GenerateConfig(max_tokens=16))]))[0].text
    assert len(base) > 3
    stop = base[2:4]
    cfg = GenerateConfig(max_tokens=16, stop=[stop], logprobs=True)
    got = collect(model.generate([Request("generate", "The capital", cfg)]))[0]
    assert got.text == base[: base.find(stop)]
    assert stop not in got.text


def test_chat_template_for_messages(tiny_dir: Path) -> None:
    model = make(tiny_dir)
    text, special = model._render([{"role": "user", "content": "hi"}])
    assert text == "<s>user: hi\nassistant:" and special is False
    assert model._render("plain") == ("plain", True)
    forced = make(tiny_dir, chat="true")
    assert forced._render("plain")[0] == "<s>user: plain\nassistant:"
    off = make(tiny_dir, chat="false")
    out = collect(off.generate([Request("generate", [{"role": "user", "content": "hi"}])]))
    assert out[0].error and "chat=false" in out[0].error


def test_no_template_errors(tmp_path: Path) -> None:
    from assay.errors import ModelError

    folder = build_tiny(tmp_path / "plain", chat_template=False)
    with pytest.raises(ModelError, match="no chat template"):
        make(folder, chat="true")
    model = make(folder)
    out = collect(model.generate([Request("generate", [{"role": "user", "content": "hi"}])]))
    assert out[0].error and "chat template" in out[0].error


def test_cache_identity_and_aclose(tiny_dir: Path) -> None:
    model = make(tiny_dir, dtype="bfloat16")
    ident = model.cache_identity()
    assert ident["model"] == str(tiny_dir.resolve()) and ident["dtype"] == "bfloat16" and ident["chat"] == "auto"
    assert ident["fingerprint"] == make(tiny_dir).cache_identity()["fingerprint"]
    assert ident != make(tiny_dir).cache_identity()
    asyncio.run(model.aclose())
    assert model._model is None


def test_unseeded_sampling_is_not_frozen(tiny_dir: Path) -> None:
    model = make(tiny_dir)
    reqs = [Request("generate", p, GenerateConfig(max_tokens=10, temperature=1.5)) for p in GEN_PROMPTS]
    first = collect(model.generate(reqs))
    second = collect(model.generate(reqs))
    assert [first[i].text for i in range(4)] != [second[i].text for i in range(4)]


def test_stop_in_a_batch_counts_only_real_tokens(tiny_dir: Path) -> None:
    model = make(tiny_dir)
    plain = collect(model.generate([Request("generate", p, GenerateConfig(max_tokens=16)) for p in GEN_PROMPTS]))
    stop = plain[0].text[1:3]
    cfg = GenerateConfig(max_tokens=16, stop=[stop], logprobs=True)
    got = collect(model.generate([Request("generate", p, cfg) for p in GEN_PROMPTS]))
    assert got[0].text == plain[0].text[: plain[0].text.find(stop)]
    usage = got[0].usage
    assert usage is not None and usage["completion_tokens"] < 16
    assert len(got[0].token_logprobs or []) <= usage["completion_tokens"]


def test_dtype_auto_runs(tiny_dir: Path) -> None:
    model = make(tiny_dir, dtype="auto")
    assert model.dtype == ("float32" if DEVICE == "cpu" else "bfloat16")
    out = collect(model.loglikelihood(LL_REQUESTS[:2]))
    assert all(r.error is None and r.loglikelihoods for r in out.values())
    gen = collect(model.generate([Request("generate", p, GenerateConfig(max_tokens=5)) for p in GEN_PROMPTS]))
    assert all(r.error is None for r in gen.values())


def test_relative_and_absolute_model_strings(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.models.registry import get_model

    monkeypatch.chdir(tiny_dir.parent)
    relative = get_model(f"hf/./{tiny_dir.name}", ModelOptions(model_args={"device": DEVICE}))
    absolute = get_model(f"hf/{tiny_dir.resolve()}", ModelOptions(model_args={"device": DEVICE}))
    assert relative.cache_identity() == absolute.cache_identity()
    assert relative.name == f"hf/./{tiny_dir.name}"


def check_top_logprobs_against_forward(model: HFModel, prompt: str, response: Response, k: int) -> None:
    """Each generated token's top-k: k entries, sorted, the greedy token first, equal to log_softmax of a plain
    forward pass (no cache, no padding) over the prompt and the tokens generated so far."""
    from assay.models.hf_batching import encode, token_text

    tok, net = model._tokenizer, model._model
    text, special = model._render(prompt)
    ids = encode(tok, text, special)
    tops = response.top_logprobs
    assert tops is not None and len(tops) >= 1
    usage = response.usage
    assert usage is not None and len(tops) <= usage["completion_tokens"]
    eos = net.generation_config.eos_token_id
    eos_ids = {eos} if isinstance(eos, int) else set(eos or ())
    start = len(ids)
    for top in tops:
        assert len(top) == k
        values = list(top.values())
        assert values == sorted(values, reverse=True)
        with torch.inference_mode():
            logits = net(input_ids=torch.tensor([ids], device=net.device)).logits[0, -1].float()
        expected = torch.log_softmax(logits, dim=-1).topk(k)
        want = [token_text(tok, i) for i in expected.indices.tolist()]
        assert list(top) == want  # same tokens in the same order: the greedy token is the top-1 entry
        assert values == pytest.approx(expected.values.tolist(), abs=1e-4)
        greedy = int(expected.indices[0])
        assert greedy not in eos_ids  # an EOS ends the text and is not reported
        ids.append(greedy)
    # greedy decoding generated exactly the top-1 tokens
    assert response.text == tok.decode(ids[start:], skip_special_tokens=True)


@pytest.mark.parametrize("k", [1, 5])
def test_generate_top_logprobs_match_a_forward_pass(tiny_dir: Path, k: int) -> None:
    model = make(tiny_dir, batch_size="4")
    prompts = ["The capital of France is", "Water boils at", "Question: which planet is largest? Answer:"]
    cfg = GenerateConfig(max_tokens=6, top_logprobs=k)
    got = collect(model.generate([Request("generate", p, cfg) for p in prompts]))
    for i, prompt in enumerate(prompts):
        assert got[i].error is None
        check_top_logprobs_against_forward(model, prompt, got[i], k)


def test_top_logprobs_group_apart_and_only_when_asked(tiny_dir: Path) -> None:
    model = make(tiny_dir, batch_size="8")
    plain = GenerateConfig(max_tokens=5, logprobs=True)
    topped = GenerateConfig(max_tokens=5, logprobs=True, top_logprobs=3)
    got = collect(model.generate([Request("generate", "Water boils at", c) for c in (plain, topped)]))
    assert got[0].top_logprobs is None
    tops = got[1].top_logprobs
    assert tops is not None and got[1].token_logprobs is not None
    assert got[0].text == got[1].text and got[0].token_logprobs == got[1].token_logprobs
    assert len(tops) == len(got[1].token_logprobs)
    # greedy: the chosen token's log-probability is the top entry of its step
    assert [max(t.values()) for t in tops] == pytest.approx(got[1].token_logprobs, abs=1e-6)
    assert all(len(t) == 3 for t in tops)


def _oom_above(limit: int, real: Any, calls: list[int], count: Any) -> Any:
    """`real`, but raising the accelerator's out-of-memory error for batches over `limit` (a GPU's fault)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        size = count(args)
        calls.append(size)
        if size > limit:
            raise torch.OutOfMemoryError(f"CUDA out of memory (injected at {size} sequences)")
        return real(*args, **kwargs)

    return run


def test_out_of_memory_halves_the_batch_and_keeps_the_results(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import assay.models.hf as hf

    reference = collect(make(tiny_dir, batch_size="1").loglikelihood(LL_REQUESTS))
    model = make(tiny_dir, batch_size="4")
    calls: list[int] = []
    monkeypatch.setattr(hf, "loglikelihood_batch", _oom_above(1, hf.loglikelihood_batch, calls, lambda a: len(a[1])))
    got = collect(model.loglikelihood(LL_REQUESTS))
    assert {i: r.loglikelihoods for i, r in got.items()} == {i: r.loglikelihoods for i, r in reference.items()}
    assert model.batch_size == 1 and calls[:3] == [4, 2, 1]  # 4 failed, then 2, then 1 fitted
    assert max(calls[3:]) == 1  # later batches are planned at the size that fitted
    assert "out of memory at 4 sequences per pass; using 2" in caplog.text

    cfg = GenerateConfig(max_tokens=6)
    gen_reference = collect(make(tiny_dir, batch_size="1").generate([Request("generate", p, cfg) for p in GEN_PROMPTS]))
    gen_model = make(tiny_dir, batch_size="8")
    gen_calls: list[int] = []
    monkeypatch.setattr(hf, "generate_batch", _oom_above(2, hf.generate_batch, gen_calls, lambda a: len(a[2])))
    gen = collect(gen_model.generate([Request("generate", p, cfg) for p in GEN_PROMPTS]))
    assert {i: r.text for i, r in gen.items()} == {i: r.text for i, r in gen_reference.items()}
    assert gen_model.batch_size <= 2 and gen_calls[0] == min(8, len(GEN_PROMPTS))

    monkeypatch.setattr(hf, "loglikelihood_batch", _oom_above(0, hf.loglikelihood_batch, [], lambda a: len(a[1])))
    with pytest.raises(ModelError, match="one sequence does not fit"):
        collect(make(tiny_dir, batch_size="2").loglikelihood(LL_REQUESTS[:1]))


def test_a_failed_pass_is_freed_before_the_retry(tiny_dir: Path) -> None:
    # What a real GPU showed: retrying inside the `except` block kept the failed pass's tensors alive through
    # the traceback, so every smaller retry ran out of memory too, down to one sequence.
    import weakref

    model = make(tiny_dir, batch_size="4")
    held: list[weakref.ref[Any]] = []

    def one_pass(items: list[int]) -> list[int]:
        assert all(ref() is None for ref in held), "the failed pass's tensors are still alive"
        if len(items) > 1:
            activations = torch.ones(1000)
            held.append(weakref.ref(activations))
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")
        return items

    assert model._halving_on_oom(one_pass, [1, 2, 3, 4]) == [1, 2, 3, 4] and len(held) == 2


def test_default_batch_size_follows_the_device(tiny_dir: Path) -> None:
    assert make(tiny_dir).batch_size == (16 if DEVICE == "cpu" else 64)
    assert make(tiny_dir, batch_size="3").batch_size == 3
