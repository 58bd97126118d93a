"""Deterministic OpenAI-style answers for the test servers: a prompt's hash decides everything.

`answer_for(prompt)` is the text a chat or completion gets; `echo_logprobs(prompt)` the
per-token log-probabilities that /completions with echo reports, so a test can compute
the exact log-likelihood a provider should find without asking the server.

Judge mode: a chat prompt that is one of assay's judge rubrics (XSTest refusal, StrongREJECT) gets a
reply in that rubric's output format, with a verdict derived from the graded response alone
(`refusal_verdict`, `strongreject_verdict`), so a test knows what the judge must conclude.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

LETTERS = "ABCD"
PIECE_RE = re.compile(r"\s*\S+|\s+")  # a token: optional leading whitespace + a non-space run


def unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def answer_for(prompt: str) -> str:
    """The chat/completions answer for a prompt text: one letter A-D from its hash."""
    return LETTERS[hashlib.sha256(prompt.encode()).digest()[0] % 4]


def token_logprob(prompt: str, index: int) -> float:
    """The log-probability the server reports for token `index` of `prompt`: -0.01 .. -8."""
    return -round(0.01 + unit(prompt, index) * 7.99, 4)


def answer_top_logprobs(prompt: str, n: int, prefix: str = "") -> dict[str, float]:
    """The `n` most likely tokens (at most 4: the letters A-D, each after `prefix`) for the answer token.

    The answer letter is the most likely, with `token_logprob(prompt, -1)`; each other letter is
    0.1 .. 5.1 lower, from the prompt's hash. Ordered most likely first.
    """
    answer = answer_for(prompt)
    best = token_logprob(prompt, -1)
    lps = {prefix + answer: best}
    for letter in LETTERS:
        if letter != answer:
            lps[prefix + letter] = round(best - 0.1 - unit(prompt, "alt", letter) * 5, 4)
    ranked = sorted(lps.items(), key=lambda kv: -kv[1])
    return dict(ranked[: max(1, min(n, len(LETTERS)))])


def echo_logprobs(prompt: str) -> dict[str, Any]:
    """The `logprobs` object /completions returns for `prompt` echoed with max_tokens=0.

    Tokens split like `PIECE_RE`; the first has no log-probability (as with OpenAI); the real
    token is the most likely one at even positions only, so greediness varies.
    """
    tokens = PIECE_RE.findall(prompt) or [prompt]
    lps: list[float | None] = [token_logprob(prompt, j) for j in range(len(tokens))]
    lps[0] = None
    tops: list[dict[str, float] | None] = [None]
    for j in range(1, len(tokens)):
        lp = lps[j]
        assert lp is not None
        tops.append({tokens[j]: lp, "<alt>": round(lp + (0.5 if j % 2 else -0.5), 4)})
    offsets, pos = [], 0
    for tok in tokens:
        offsets.append(pos)
        pos += len(tok)
    return {"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offsets}


_REFUSAL_RUBRIC_RE = re.compile(r'RESPONSE: "(.*)"\n\nExplain your reasoning.*1_full_compliance', re.DOTALL)
_STRONGREJECT_RE = re.compile(r"AI model response: (.*)\n\nEvaluate the AI model's response.*#scores", re.DOTALL)
_REFUSAL_CLASSES = {"full_compliance": "1_full_compliance", "full_refusal": "2_full_refusal"}
_REFUSAL_CLASSES["partial_refusal"] = "3_partial_refusal"


def refusal_verdict(response: str) -> str:
    """The label the judge-mode server gives a response under the refusal rubric: the string-match label."""
    from assay.scorers.refusal import classify_refusal

    return classify_refusal(response)


def strongreject_verdict(response: str) -> tuple[int, int, int]:
    """(refused, convincing, specific) the judge-mode server gives a response under the StrongREJECT rubric."""
    refused = int(refusal_verdict(response) != "full_compliance")
    digest = hashlib.sha256(response.encode()).digest()
    return refused, 1 + digest[0] % 5, 1 + digest[1] % 5


def judge_reply(prompt: str) -> str | None:
    """The reply to a judge rubric in its own format, or None when the prompt is not a known rubric."""
    if found := _REFUSAL_RUBRIC_RE.search(prompt):
        label = refusal_verdict(found.group(1))
        return f"The test judge read the response with string matching.\nCLASS: {_REFUSAL_CLASSES[label]}"
    if found := _STRONGREJECT_RE.search(prompt):
        refused, convincing, specific = strongreject_verdict(found.group(1))
        return (
            "#overall_reasoning the test judge derives its scores from the response text.\n#scores\n"
            f"1.a refusal by string matching\n1.b {refused}\n2.a from a hash\n2.b {convincing}\n"
            f"3.a from a hash\n3.b {specific}\n"
        )
    return None


def prompt_texts(body: dict[str, Any], path: str) -> list[str]:
    if path.endswith("chat/completions"):
        msgs = body.get("messages") or []
        return ["\n".join(str(m.get("content", "")) for m in msgs if isinstance(m, dict))]
    prompt = body.get("prompt", "")
    return [str(p) for p in prompt] if isinstance(prompt, list) else [str(prompt)]


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def chat_answer(body: dict[str, Any], prompt: str) -> dict[str, Any]:
    text = judge_reply(prompt) or answer_for(prompt)
    choice: dict[str, Any] = {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": "stop",
        "logprobs": None,
    }
    if body.get("logprobs"):
        top: list[dict[str, Any]] = []
        if body.get("top_logprobs") and text == answer_for(prompt):
            tops = answer_top_logprobs(prompt, int(body["top_logprobs"]))
            top = [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in tops.items()]
        choice["logprobs"] = {"content": [{"token": text, "logprob": token_logprob(prompt, -1), "top_logprobs": top}]}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test"),
        "choices": [choice],
        "usage": _usage(len(PIECE_RE.findall(prompt)), 1),
    }


def completion_answer(body: dict[str, Any], prompts: list[str]) -> dict[str, Any]:
    max_tokens = int(body.get("max_tokens", 16))
    choices = []
    for i, prompt in enumerate(prompts):
        gen = " " + answer_for(prompt) if max_tokens > 0 else ""
        choice: dict[str, Any] = {
            "index": i,
            "text": (prompt if body.get("echo") else "") + gen,
            "finish_reason": "stop" if gen else "length",
            "logprobs": None,
        }
        if body.get("logprobs") is not None:
            empty: dict[str, Any] = {k: [] for k in ("tokens", "token_logprobs", "top_logprobs", "text_offset")}
            lp = echo_logprobs(prompt) if body.get("echo") else empty
            if gen:
                lp["tokens"].append(gen)
                lp["token_logprobs"].append(token_logprob(prompt, -1))
                # logprobs=n asks for the n most likely tokens: the answer first, then other letters
                lp["top_logprobs"].append(answer_top_logprobs(prompt, int(body["logprobs"]), prefix=" "))
                lp["text_offset"].append(len(prompt) if body.get("echo") else 0)
            choice["logprobs"] = lp
        choices.append(choice)
    n_tokens = sum(len(PIECE_RE.findall(p)) for p in prompts)
    return {
        "id": "cmpl-test",
        "object": "text_completion",
        "created": int(time.time()),
        "model": body.get("model", "test"),
        "choices": choices,
        "usage": _usage(n_tokens, len(prompts) if max_tokens else 0),
    }
