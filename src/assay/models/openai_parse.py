"""Reading OpenAI-style JSON answers into `Response`s, including log-likelihoods from echoed prompts.

Pure functions over decoded JSON: no I/O, so they are cheap to test and to call on the hot path.
A well-formed answer of the wrong shape raises `MalformedResponse`.
"""

from __future__ import annotations

from typing import Any

from assay.models.base import Response

_GREEDY_TOLERANCE = 1e-6


class MalformedResponse(Exception):
    """A 200 answer that is valid JSON but lacks what we need.

    Unlike a truncated body (a transient fault, retried), a well-formed answer of the wrong shape
    comes back the same every time: the server does not support what was asked (e.g. echo with
    logprobs). So it stops the run at once instead of burning the retry budget.
    """


def usage_of(data: dict[str, Any]) -> dict[str, int] | None:
    """The integer token counts of `usage` (nested details dropped), or None."""
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return None
    return {k: v for k, v in usage.items() if type(v) is int}


def parse_chat(data: dict[str, Any]) -> Response:
    """A /chat/completions answer: the first choice's message text."""
    try:
        content = data["choices"][0]["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise MalformedResponse(f"a chat answer without choices[0].message: {str(data)[:300]}") from exc
    return Response(text=content or "", usage=usage_of(data))


def parse_chat_logprobs(data: dict[str, Any]) -> Response:
    """A /chat/completions answer asked with logprobs=true: text and per-token log-probabilities.

    When the tokens carry `top_logprobs` (asked with top_logprobs=n), `Response.top_logprobs` gets one
    dict per generated token (token text -> log-probability); a server that ignored the request leaves it None.
    """
    response = parse_chat(data)
    try:
        content = (data["choices"][0].get("logprobs") or {}).get("content")
        if content is not None:
            response.token_logprobs = [float(t["logprob"]) for t in content]
            if content and any(t.get("top_logprobs") for t in content):
                response.top_logprobs = [
                    {str(a["token"]): float(a["logprob"]) for a in (t.get("top_logprobs") or [])} for t in content
                ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(f"unreadable chat logprobs: {str(data)[:300]}") from exc
    return response


def parse_completion(data: dict[str, Any], top_logprobs: bool = False) -> Response:
    """A /completions answer: the first choice's text, and token log-probabilities when present.

    With `top_logprobs` (the request asked for them with logprobs=n), `logprobs.top_logprobs` (one dict
    per generated token, token -> log-probability) goes to `Response.top_logprobs`.
    """
    try:
        choice = data["choices"][0]
        response = Response(text=choice.get("text") or "", usage=usage_of(data))
        logprobs = choice.get("logprobs")
        if logprobs:
            response.token_logprobs = [float(x) for x in logprobs["token_logprobs"] if x is not None]
            tops = logprobs.get("top_logprobs") if top_logprobs else None
            if tops and any(tops):
                response.top_logprobs = [{str(k): float(v) for k, v in (top or {}).items()} for top in tops]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(f"an unreadable completion: {str(data)[:300]}") from exc
    return response


def parse_loglikelihood(data: dict[str, Any], context: str, continuations: list[str]) -> Response:
    """An echoed /completions answer with one choice per continuation (matched by `index`)."""
    try:
        choices = sorted(data["choices"], key=lambda c: int(c.get("index", 0)))
        if len(choices) != len(continuations):
            raise MalformedResponse(f"{len(choices)} choices for {len(continuations)} prompts")
        scored = [
            _score_continuation(c["logprobs"], context, cont) for c, cont in zip(choices, continuations, strict=True)
        ]
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(f"echo logprobs that cannot be read ({exc!r}): {str(data)[:300]}") from exc
    greedy = [g for _, g, _ in scored]
    return Response(
        loglikelihoods=[lp for lp, _, _ in scored],
        is_greedy=None if None in greedy else [bool(g) for g in greedy],
        continuation_tokens=[n for _, _, n in scored],
        usage=usage_of(data),
    )


def _score_continuation(logprobs: dict[str, Any], context: str, continuation: str) -> tuple[float, bool | None, int]:
    """Sum the log-probabilities of the tokens that cover `continuation` in an echoed prompt.

    A token counts when it holds any character of the continuation: usually the tokens with
    `text_offset >= len(context)`, plus a token that straddles the boundary (context "Answer: ",
    continuation "A" tokenised as " A"), without which the continuation would score nothing.
    Tokens past the prompt (generated when max_tokens had to be 1) are ignored.
    """
    if not continuation:
        return 0.0, True, 0
    offsets: list[int] = logprobs["text_offset"]
    token_lps: list[float | None] = logprobs["token_logprobs"]
    tops: list[dict[str, float] | None] | None = logprobs.get("top_logprobs")
    tokens: list[str] | None = logprobs.get("tokens")
    start, end = len(context), len(context) + len(continuation)
    total, count, greedy = 0.0, 0, True
    greedy_known = tops is not None
    for j, offset in enumerate(offsets):
        if offset >= end:
            break
        token_end = offsets[j + 1] if j + 1 < len(offsets) else (offset + len(tokens[j]) if tokens else end)
        if token_end <= start:
            continue
        lp = token_lps[j]
        if lp is None:
            raise ValueError(f"token {j} has no log-probability")
        total += lp
        count += 1
        top = tops[j] if tops is not None and j < len(tops) else None
        if top:
            greedy = greedy and max(top.values()) <= lp + _GREEDY_TOLERANCE
        else:
            greedy_known = False
    if count == 0:
        raise ValueError("no token of the echoed prompt covers the continuation")
    return total, (greedy if greedy_known else None), count
