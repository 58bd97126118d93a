"""The torch work of the hf provider: lm-eval-compatible tokenisation, batched log-likelihoods with a
shared context pass, and batched generation. Synchronous; `hf.py` runs it in a worker thread.

Shared context: a multiple-choice question is scored by running its context once (left-padded with
the other questions of the batch, keeping the KV cache and only the last position's logits), which
already gives every continuation's first token. Continuations longer than one token then run as
one row each on top of the context's cache, expanded to one copy per continuation. So the context
is computed once per question, not once per choice, and a one-token choice (" A") needs no second
pass at all.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from assay.models.base import GenerateConfig

T = TypeVar("T")

# Continuation rows are short, so the second pass can hold more rows than the context pass.
_ROWS_PER_QUESTION_BATCH = 4


@dataclass(slots=True)
class LLItem:
    """One loglikelihood request, tokenised: a shared context and its continuations."""

    index: int
    context: list[int]
    continuations: list[list[int]]


@dataclass(slots=True)
class LLResult:
    """Per continuation: summed log-probability, whether greedy decoding gives it, its length in tokens."""

    loglikelihoods: list[float]
    is_greedy: list[bool]
    lengths: list[int]


@dataclass(slots=True)
class GenResult:
    """One finished generation."""

    text: str
    token_logprobs: list[float] | None
    prompt_tokens: int
    completion_tokens: int
    top_logprobs: list[dict[str, float]] | None = None


def encode(tokenizer: Any, text: str, add_special_tokens: bool) -> list[int]:
    ids: list[int] = tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]
    return ids


def encode_loglikelihood(
    tokenizer: Any, context: str, continuations: Sequence[str], add_special_tokens: bool, prefix_token_id: int
) -> tuple[list[int], list[list[int]]]:
    """Tokenise as lm-eval's HFLM does, so scores match it token for token.

    Trailing whitespace of the context moves to the front of each continuation (a space belongs to the
    word after it in BPE vocabularies), context+continuation is encoded whole, and the continuation is
    what follows the context's own token count: a continuation that merges with the context's last
    token is still scored on the tokens the model would really see. An empty context becomes the
    prefix token (BOS, else EOS).
    """
    if context == "":
        conts = [encode(tokenizer, c, False) for c in continuations]
        # lm-eval drops the prefix when the continuation already starts with it; strip it there instead
        # so all continuations keep one shared context.
        return [prefix_token_id], [c[1:] if c[:1] == [prefix_token_id] else c for c in conts]
    stripped = context.rstrip()
    moved = context[len(stripped) :]
    ctx = encode(tokenizer, stripped, add_special_tokens)
    conts = [encode(tokenizer, stripped + moved + c, add_special_tokens)[len(ctx) :] for c in continuations]
    return ctx, conts


def truncate_item(item: LLItem, max_length: int) -> str | None:
    """Left-truncate the context so context + continuation (minus its last token) fits; an error text if not."""
    longest = max((len(c) for c in item.continuations), default=0)
    room = max_length + 1 - longest
    if room < 1:
        return f"a continuation of {longest} tokens does not fit max_length={max_length}"
    item.context = item.context[-room:]
    return None


def longest_first(items: Sequence[LLItem]) -> list[LLItem]:
    """Longest first (an out-of-memory shows at once, and similar lengths share a batch: little padding)."""
    return sorted(items, key=lambda it: (-(len(it.context) + max(map(len, it.continuations), default=0)), it.index))


def chunks(items: list[T], size: Callable[[], int]) -> Iterator[list[T]]:
    """Consecutive batches of `items`, each as long as `size()` says when it is taken (it can shrink)."""
    start = 0
    while start < len(items):
        batch = items[start : start + size()]
        start += len(batch)
        yield batch


@functools.lru_cache(maxsize=32)
def _forward_params(model_type: Any) -> frozenset[str]:
    return frozenset(inspect.signature(model_type.forward).parameters)


def _cache_kwarg(model: Any) -> str:
    # transformers 5.2x renamed forward's `past_key_values` to `cache` (the old name warns, then goes in 5.40).
    return "cache" if "cache" in _forward_params(model.__class__) else "past_key_values"


def _returned_cache(out: Any) -> Any:
    cache = getattr(out, "cache", None)
    return cache if cache is not None else out.past_key_values


def _left_pad(seqs: Sequence[Sequence[int]], pad_id: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        if seq:
            ids[row, width - len(seq) :] = torch.tensor(seq, dtype=torch.long)
            mask[row, width - len(seq) :] = 1
    return ids.to(device), mask.to(device)


def loglikelihood_batch(model: Any, items: Sequence[LLItem], pad_id: int, device: str) -> list[LLResult]:
    """Score every continuation of every item with one context pass plus one continuation pass."""
    ids, mask = _left_pad([it.context for it in items], pad_id, device)
    # Explicit positions make a left-padded row compute exactly what it would alone.
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    need_second = any(len(c) > 1 for it in items for c in it.continuations)
    # Only the last position's logits are needed: skipping the LM head elsewhere saves a vocab-sized matmul per token.
    kwargs: dict[str, Any] = {"logits_to_keep": 1} if "logits_to_keep" in _forward_params(model.__class__) else {}
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=need_second, **kwargs)
    first = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)
    first_greedy = first.argmax(dim=-1)
    results = [LLResult([0.0] * len(it.continuations), [True] * len(it.continuations), []) for it in items]
    rows: list[tuple[int, int]] = []  # (item, continuation) for continuations longer than one token
    for b, it in enumerate(items):
        results[b].lengths = [len(c) for c in it.continuations]
        for k, cont in enumerate(it.continuations):
            if cont:
                results[b].loglikelihoods[k] = float(first[b, cont[0]])
                results[b].is_greedy[k] = bool(first_greedy[b] == cont[0])
            if len(cont) > 1:
                rows.append((b, k))
    if rows:
        chunk = max(len(items), 1) * _ROWS_PER_QUESTION_BATCH
        cache = _returned_cache(out)
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            # The cache is reused by a later chunk, so only the last chunk may reorder it in place.
            last = start + chunk >= len(rows)
            _continuation_pass(model, items, part, cache if last else _copy_cache(cache), mask, pad_id, results)
    return results


def _copy_cache(cache: Any) -> Any:
    import copy

    return copy.deepcopy(cache)


def _continuation_pass(
    model: Any,
    items: Sequence[LLItem],
    rows: Sequence[tuple[int, int]],
    cache: Any,
    ctx_mask: torch.Tensor,
    pad_id: int,
    results: list[LLResult],
) -> None:
    device = ctx_mask.device
    owner = torch.tensor([b for b, _ in rows], dtype=torch.long, device=device)
    inputs = [items[b].continuations[k][:-1] for b, k in rows]
    width = max(len(s) for s in inputs)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    cont_mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, seq in enumerate(inputs):  # right padding: a real token never attends to a later pad
        ids[r, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        cont_mask[r, : len(seq)] = 1
    ids, cont_mask = ids.to(device), cont_mask.to(device)
    cache.reorder_cache(owner)  # one copy of the question's context cache per continuation row
    mask = torch.cat([ctx_mask.index_select(0, owner), cont_mask], dim=1)
    start = ctx_mask.sum(dim=1).index_select(0, owner)
    positions = start[:, None] + torch.arange(width, device=device)[None, :]
    kwargs = {_cache_kwarg(model): cache}
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **kwargs)
    logprobs = torch.log_softmax(out.logits.float(), dim=-1)
    greedy = logprobs.argmax(dim=-1)
    for r, (b, k) in enumerate(rows):
        target = torch.tensor(items[b].continuations[k][1:], dtype=torch.long, device=device)
        n = target.shape[0]
        picked = logprobs[r, :n].gather(-1, target[:, None]).squeeze(-1)
        results[b].loglikelihoods[k] += float(picked.sum())
        results[b].is_greedy[k] = results[b].is_greedy[k] and bool((greedy[r, :n] == target).all())


def loglikelihood_naive(model: Any, context: list[int], continuation: list[int], device: str) -> tuple[float, bool]:
    """The reference: one full forward pass over context + continuation, no padding, no sharing."""
    if not continuation:
        return 0.0, True
    ids = torch.tensor([context + continuation[:-1]], dtype=torch.long, device=device)
    logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
    scored = logprobs[len(context) - 1 :]
    target = torch.tensor(continuation, dtype=torch.long, device=device)
    total = float(scored.gather(-1, target[:, None]).sum())
    return total, bool((scored.argmax(-1) == target).all())


def generation_key(config: GenerateConfig) -> tuple[Any, ...]:
    """Requests batch together only when every sampling setting agrees."""
    return (
        config.max_tokens,
        config.temperature,
        config.top_p,
        tuple(config.stop or ()),
        config.seed,
        config.logprobs,
        config.top_logprobs_count(),
    )


def generate_batch(
    model: Any, tokenizer: Any, prompts: Sequence[list[int]], config: GenerateConfig, device: str
) -> list[GenResult]:
    """Generate for left-padded prompts that share one sampling config."""
    from transformers import GenerationConfig

    ids, mask = _left_pad(prompts, tokenizer.pad_token_id, device)
    top_k = config.top_logprobs_count()
    sample = config.temperature > 0
    base = model.generation_config
    eos = base.eos_token_id if base.eos_token_id is not None else tokenizer.eos_token_id
    # A fresh config: the checkpoint's own defaults (top_k=50, repetition penalties...) must not leak in,
    # so the same GenerateConfig means the same thing for every provider.
    make_config: Any = GenerationConfig  # untyped in transformers
    gen = make_config(
        max_new_tokens=config.max_tokens,
        do_sample=sample,
        temperature=config.temperature if sample else None,
        top_p=config.top_p if sample and config.top_p is not None else None,
        top_k=0 if sample else None,
        eos_token_id=eos,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=base.bos_token_id,
        return_dict_in_generate=True,
        output_logits=bool(config.logprobs or top_k),
        stop_strings=list(config.stop) if config.stop else None,
    )
    extra: dict[str, Any] = {"tokenizer": tokenizer} if config.stop else {}
    # A seeded batch runs in a forked RNG: it neither depends on nor disturbs the process's random state.
    # Unseeded batches draw from (and advance) that state, so two of them differ.
    rng_devices = [torch.device(device).index or 0] if device.startswith("cuda") else []
    seeded = config.seed is not None
    with torch.random.fork_rng(devices=rng_devices) if seeded else contextlib.nullcontext():
        if config.seed is not None:
            torch.manual_seed(config.seed)
        out = model.generate(input_ids=ids, attention_mask=mask, generation_config=gen, **extra)
    new = out.sequences[:, ids.shape[1] :]
    logprobs = None
    top_values: list[list[list[float]]] | None = None
    top_ids: list[list[list[int]]] | None = None
    if config.logprobs or top_k:
        steps = torch.log_softmax(torch.stack(out.logits, dim=1).float(), dim=-1)
        if config.logprobs:
            logprobs = steps.gather(-1, new[:, : steps.shape[1], None]).squeeze(-1)
        if top_k:
            found = steps.topk(min(top_k, steps.shape[-1]), dim=-1)  # sorted, most likely first
            top_values, top_ids = found.values.tolist(), found.indices.tolist()
    token_texts: dict[int, str] = {}
    eos_ids = {eos} if isinstance(eos, int) else set(eos or ())
    results = []
    for row, prompt in enumerate(prompts):
        tokens = new[row].tolist()
        n = next((i for i, t in enumerate(tokens) if t in eos_ids), len(tokens))
        count = min(n + 1, len(tokens))  # the EOS was generated too
        if n == len(tokens):  # a row stopped by a stop string is padded to the batch's length: not its tokens
            while n and tokens[n - 1] == tokenizer.pad_token_id:
                n -= 1
            count = n
        text = tokenizer.decode(tokens[:n], skip_special_tokens=True)
        kept = n
        cut = _stop_cut(text, config.stop)
        if cut is not None:
            text = text[:cut]
            kept = _tokens_covering(tokenizer, tokens[:n], cut)
        lps = [float(x) for x in logprobs[row, :kept]] if logprobs is not None else None
        tops = None
        if top_values is not None and top_ids is not None:
            tops = [
                _top_dict(tokenizer, token_texts, top_ids[row][step], top_values[row][step])
                for step in range(min(kept, len(top_ids[row])))
            ]
        results.append(GenResult(text, lps, len(prompt), count, tops))
    return results


def _top_dict(tokenizer: Any, texts: dict[int, str], ids: list[int], values: list[float]) -> dict[str, float]:
    """token text -> log-probability, most likely first; of two ids with the same text the likelier is kept."""
    top: dict[str, float] = {}
    for token_id, value in zip(ids, values, strict=True):
        text = texts.get(token_id)
        if text is None:
            text = texts[token_id] = token_text(tokenizer, token_id)
        top.setdefault(text, value)
    return top


def token_text(tokenizer: Any, token_id: int) -> str:
    """One token's text, with its leading space, as `Response.top_logprobs` names it.

    SentencePiece's "▁" decodes without its space when alone, so the space is put back. A token that holds
    only part of a character (it decodes to U+FFFD) is named by its vocabulary entry instead, so that such
    tokens stay apart.
    """
    text: str = tokenizer.decode([token_id], skip_special_tokens=False, clean_up_tokenization_spaces=False)
    piece = tokenizer.convert_ids_to_tokens(token_id)
    if not isinstance(piece, str):
        return text
    if "\ufffd" in text:
        return piece
    if piece.startswith("\u2581") and not text.startswith(" "):
        text = " " + text
    return text


def _stop_cut(text: str, stop: Sequence[str] | None) -> int | None:
    hits = [i for i in (text.find(s) for s in stop or () if s) if i >= 0]
    return min(hits) if hits else None


def _tokens_covering(tokenizer: Any, tokens: list[int], chars: int) -> int:
    """The fewest tokens whose text reaches `chars` characters: the logprobs kept for a stop-truncated text."""
    for n in range(len(tokens) + 1):
        if len(tokenizer.decode(tokens[:n], skip_special_tokens=True)) >= chars:
            return n
    return len(tokens)
