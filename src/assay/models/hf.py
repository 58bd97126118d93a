"""The `hf/...` provider: local transformers causal LMs, offline.

Model strings: `hf/smollm2` (the embedded SmolLM2-135M-Instruct), `hf/./relative/path`,
`hf//abs/path`, `hf/org/name` (only if already in the local Hugging Face cache), and GGUF files
(`hf/./model.gguf`, or a folder with `--model-arg gguf_file=...`). See `hf_loading.MODEL_ARGS`
for the model arguments.

>>> import asyncio
>>> from assay.models.base import Request
>>> from assay.models.registry import get_model
>>> model = get_model("hf/smollm2")                                          # doctest: +SKIP
>>> async def score():
...     req = Request("loglikelihood", "The capital of France is", continuations=[" Paris", " banana"])
...     return [r async for r in model.loglikelihood([req])]
>>> asyncio.run(score())[0][1].loglikelihoods                                # doctest: +SKIP
[-0.25..., -17.2...]
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from assay.errors import ModelError
from assay.models.base import Message, Request, Response
from assay.models.hf_batching import (
    GenResult,
    LLItem,
    LLResult,
    chunks,
    encode,
    encode_loglikelihood,
    generate_batch,
    generation_key,
    loglikelihood_batch,
    longest_first,
    truncate_item,
)
from assay.models.hf_loading import (
    ACCELERATOR_BATCH_SIZE,
    CPU_BATCH_SIZE,
    HFArgs,
    ResolvedModel,
    load_model,
    parse_hf_args,
    resolve_model,
)
from assay.models.registry import ModelOptions

_FALLBACK_MAX_LENGTH = 2048
logger = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class HFModel:
    """A local transformers causal LM behind the `Model` protocol (`generate`, `loglikelihood`)."""

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        self.name = f"hf/{name}"
        self.args: HFArgs = parse_hf_args((options or ModelOptions()).model_args)
        self.resolved: ResolvedModel = resolve_model(name, self.args)
        self._model, self._tokenizer, self.device = load_model(self.resolved, self.args)
        self._has_template = bool(getattr(self._tokenizer, "chat_template", None))
        if self.args.chat == "true" and not self._has_template:
            raise ModelError(
                f"chat=true but the tokenizer of {self.name} has no chat template",
                where="--model-arg chat",
                fix="use chat=auto or chat=false with this model, or a model whose tokenizer has a chat template",
            )
        self.max_length = self.args.max_length or self._default_max_length()
        default_batch = CPU_BATCH_SIZE if self.device == "cpu" else ACCELERATOR_BATCH_SIZE
        self.batch_size = self.args.batch_size or default_batch
        self.dtype = str(self._model.dtype).removeprefix("torch.")
        # One forward pass at a time: two threads on one model only contend for the same cores.
        self._lock = threading.Lock()

    def _default_max_length(self) -> int:
        config = self._model.config
        for attr in ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length"):
            value = getattr(config, attr, None)
            if isinstance(value, int) and value > 0:
                return value
        tok_max = getattr(self._tokenizer, "model_max_length", None)
        return tok_max if isinstance(tok_max, int) and 0 < tok_max < 1_000_000 else _FALLBACK_MAX_LENGTH

    # ----------------------------------------------------------------- prompts
    def _render(self, prompt: str | list[Message]) -> tuple[str, bool]:
        """Prompt text and whether to let the tokenizer add special tokens (not after a chat template)."""
        use_chat = isinstance(prompt, list) or self.args.chat == "true"
        if not use_chat:
            assert isinstance(prompt, str)
            bos = self._tokenizer.bos_token
            # Like lm-eval: a prompt that already starts with BOS must not get a second one.
            return prompt, not (bos and prompt.startswith(bos))
        if self.args.chat == "false":
            raise ModelError(
                "the request input is a list of chat messages but chat=false",
                where="--model-arg chat",
                fix="use chat=auto (the default) so message lists go through the chat template",
            )
        if not self._has_template:
            raise ModelError(
                f"the request input is a list of chat messages but the tokenizer of {self.name} has no chat template",
                where="request input",
                fix="send a plain string prompt to this model, or use a chat model",
            )
        messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
        text: str = self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return text, False

    def _prefix_token_id(self) -> int:
        tok = self._tokenizer
        token: int = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        return token

    # ----------------------------------------------------------------- loglikelihood
    def _prepare_loglikelihood(self, requests: Sequence[Request]) -> tuple[list[LLItem], dict[int, str]]:
        items: list[LLItem] = []
        errors: dict[int, str] = {}
        for index, req in enumerate(requests):
            try:
                if not req.continuations:
                    raise ModelError(
                        "a loglikelihood request has no continuations",
                        where=f"request {index}",
                        fix="give each loglikelihood request a non-empty continuations list",
                    )
                text, special = self._render(req.input)
                ctx, conts = encode_loglikelihood(
                    self._tokenizer, text, req.continuations, special, self._prefix_token_id()
                )
                item = LLItem(index, ctx, conts)
                problem = truncate_item(item, self.max_length)
                if problem:
                    raise ModelError(problem, where=f"request {index}", fix="raise max_length or shorten the choices")
                items.append(item)
            except ModelError as exc:
                errors[index] = exc.message
        return items, errors

    def _halving_on_oom(self, run: Callable[[list[T]], list[R]], batch: list[T]) -> list[R]:
        """`run(batch)`, split in halves (recursively) when the accelerator runs out of memory.

        Later batches are planned at the size that fitted, so a too-large `batch_size` costs one failed
        pass, not a crashed run; the lower size is logged once per halving.
        """
        import torch

        try:
            return run(batch)
        except torch.OutOfMemoryError as exc:
            failure = str(exc)
        # Retry only here, outside the except block: until it ends, the exception's traceback keeps the failed
        # pass's tensors (its cache, its activations) alive, and every smaller retry ran out of memory too.
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        if len(batch) == 1:
            raise ModelError(
                f"one sequence does not fit in {self.device} memory: {failure}",
                where=f"--model {self.name}",
                fix="lower max_length (--model-arg max_length=...), use dtype=bfloat16, or a larger device",
            )
        half = len(batch) // 2
        if half < self.batch_size:
            logger.warning("%s: out of memory at %d sequences per pass; using %d", self.name, len(batch), half)
            self.batch_size = half
        # the rest of this batch goes at whatever size fits by then
        return [r for part in chunks(batch, lambda: self.batch_size) for r in self._halving_on_oom(run, part)]

    def _run_loglikelihood(self, batch: list[LLItem]) -> list[LLResult]:
        import torch

        def one_pass(items: list[LLItem]) -> list[LLResult]:
            with self._lock, torch.inference_mode():
                return loglikelihood_batch(self._model, items, self._tokenizer.pad_token_id, self.device)

        return self._halving_on_oom(one_pass, batch)

    async def loglikelihood(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        """Yield `(index, Response)` per request, batch by batch, longest contexts first."""
        items, errors = await asyncio.to_thread(self._prepare_loglikelihood, requests)
        for index, message in errors.items():
            yield index, Response(error=message)
        for batch in chunks(longest_first(items), lambda: self.batch_size):
            started = time.perf_counter()
            results = await asyncio.to_thread(self._run_loglikelihood, batch)
            latency = time.perf_counter() - started
            for item, res in zip(batch, results, strict=True):
                tokens = len(item.context) + sum(res.lengths)
                yield (
                    item.index,
                    Response(
                        loglikelihoods=res.loglikelihoods,
                        is_greedy=res.is_greedy,
                        continuation_tokens=res.lengths,
                        usage={"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
                        latency=latency,
                    ),
                )

    # ----------------------------------------------------------------- generate
    def _prepare_generate(
        self, requests: Sequence[Request]
    ) -> tuple[list[list[tuple[int, list[int]]]], dict[int, str]]:
        """Prompts grouped by sampling settings, each group longest first; and the requests that failed."""
        groups: dict[tuple[Any, ...], list[tuple[int, list[int]]]] = defaultdict(list)
        errors: dict[int, str] = {}
        for index, req in enumerate(requests):
            try:
                text, special = self._render(req.input)
                room = self.max_length - req.config.max_tokens
                if room < 1:
                    raise ModelError(
                        f"max_tokens={req.config.max_tokens} leaves no room for the prompt in "
                        f"max_length={self.max_length}",
                        where=f"request {index}",
                        fix="lower max_tokens or raise max_length",
                    )
                ids = encode(self._tokenizer, text, special)[-room:]  # keep the end: the question is there
                groups[generation_key(req.config)].append((index, ids))
            except ModelError as exc:
                errors[index] = exc.message
        for members in groups.values():
            members.sort(key=lambda m: (-len(m[1]), m[0]))
        return list(groups.values()), errors

    def _run_generate(self, batch: list[tuple[int, list[int]]], request: Request) -> list[GenResult]:
        import torch

        def one_pass(members: list[tuple[int, list[int]]]) -> list[GenResult]:
            with self._lock, torch.inference_mode():
                prompts = [ids for _, ids in members]
                return generate_batch(self._model, self._tokenizer, prompts, request.config, self.device)

        return self._halving_on_oom(one_pass, batch)

    async def generate(self, requests: Sequence[Request]) -> AsyncIterator[tuple[int, Response]]:
        """Yield `(index, Response)` per request; requests with the same sampling settings batch together."""
        groups, errors = await asyncio.to_thread(self._prepare_generate, requests)
        for index, message in errors.items():
            yield index, Response(error=message)
        for batch in (b for members in groups for b in chunks(members, lambda: self.batch_size)):
            started = time.perf_counter()
            results = await asyncio.to_thread(self._run_generate, batch, requests[batch[0][0]])
            latency = time.perf_counter() - started
            for (index, _), res in zip(batch, results, strict=True):
                usage = {
                    "prompt_tokens": res.prompt_tokens,
                    "completion_tokens": res.completion_tokens,
                    "total_tokens": res.prompt_tokens + res.completion_tokens,
                }
                response = Response(
                    text=res.text,
                    token_logprobs=res.token_logprobs,
                    top_logprobs=res.top_logprobs,
                    usage=usage,
                    latency=latency,
                )
                yield index, response

    # ----------------------------------------------------------------- identity, lifetime
    def cache_identity(self) -> dict[str, Any]:
        """Model, content fingerprint, dtype, chat mode and context window: all that shapes a response."""
        return {
            "provider": "hf",
            "model": self.resolved.identity,
            "fingerprint": self.resolved.fingerprint,
            "dtype": self.dtype,
            "chat": self.args.chat,
            "max_length": self.max_length,
        }

    async def aclose(self) -> None:
        """Drop the model so its memory can be freed (the object is unusable afterwards)."""
        with self._lock:
            self._model = None
            self._tokenizer = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover
            pass
