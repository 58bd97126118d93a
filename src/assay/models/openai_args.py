"""`--model-arg` pairs and connection settings for the `openai/...` provider, checked up front.

Everything here runs once, when the model is built, so a typo fails before the
first request rather than after a thousand.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assay.errors import ModelError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


def _choice(*allowed: str) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return convert


def _json_object(value: str) -> dict[str, Any]:
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object")
    return data


# Arguments that configure the provider itself: name -> (converter, help).
PROVIDER_ARGS: dict[str, tuple[Callable[[str], Any], str]] = {
    "api": (_choice("chat", "completions"), "chat (default, /chat/completions) or completions (/completions)"),
    "api_key_env": (str, f"environment variable holding the API key (default {DEFAULT_KEY_ENV})"),
    "on_error": (
        _choice("raise", "record"),
        "raise (default) stops the run when the server rejects a request as invalid (HTTP 400/413/422); "
        "record keeps going and stores the server's message as that sample's error",
    ),
    "max_tokens_field": (
        _choice("max_tokens", "max_completion_tokens"),
        "request field for the token limit (OpenAI's reasoning models want max_completion_tokens)",
    ),
}

# Arguments copied into every request body: name -> (converter, help). They change answers, so the
# cache identity includes them.
REQUEST_ARGS: dict[str, tuple[Callable[[str], Any], str]] = {
    "frequency_penalty": (float, "float, -2..2"),
    "presence_penalty": (float, "float, -2..2"),
    "top_k": (int, "int (vLLM, llama.cpp, Ollama)"),
    "min_p": (float, "float (vLLM, llama.cpp)"),
    "repetition_penalty": (float, "float (vLLM)"),
    "reasoning_effort": (str, "low | medium | high (reasoning models)"),
    "extra_body": (_json_object, "JSON object merged into every request body"),
}


@dataclass(slots=True)
class OpenAISettings:
    """The checked result of `parse_openai_args`."""

    api: str = "chat"
    api_key_env: str = DEFAULT_KEY_ENV
    on_error: str = "raise"
    max_tokens_field: str = "max_tokens"
    request_fields: dict[str, Any] = field(default_factory=dict)


def _valid_args_list() -> str:
    return "; ".join(f"{k} ({h})" for k, (_, h) in {**PROVIDER_ARGS, **REQUEST_ARGS}.items())


def parse_openai_args(model_args: dict[str, str]) -> OpenAISettings:
    """Check and convert `model_args`; an unknown name or bad value is a `ModelError` listing what is valid."""
    settings = OpenAISettings()
    for key, raw in model_args.items():
        spec = PROVIDER_ARGS.get(key) or REQUEST_ARGS.get(key)
        if spec is None:
            raise ModelError(
                f"unknown model argument {key!r} for the openai provider",
                where=f"--model-arg {key}={raw}",
                fix=f"use one of: {_valid_args_list()}",
            )
        convert, help_text = spec
        try:
            value = convert(raw)
        except ValueError as exc:
            raise ModelError(
                f"bad value {raw!r} for model argument {key!r}: {exc}",
                where=f"--model-arg {key}={raw}",
                fix=f"{key} takes: {help_text}",
            ) from None
        if key in PROVIDER_ARGS:
            setattr(settings, key, value)
        elif key == "extra_body":
            settings.request_fields.update(value)
        else:
            settings.request_fields[key] = value
    return settings


def is_loopback(url: str) -> bool:
    """True when `url` points at this machine (a local vLLM/llama.cpp/Ollama needs no key)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(base_url: str | None) -> str:
    """`--base-url`, else $OPENAI_BASE_URL, else OpenAI's own; checked to be an http(s) URL."""
    url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelError(
            f"base URL {url!r} is not an http(s) URL",
            where="--base-url" if base_url else "$OPENAI_BASE_URL",
            fix="give the server's OpenAI-compatible root, e.g. http://127.0.0.1:8000/v1",
        )
    return url


def resolve_api_key(base_url: str, key_env: str) -> str | None:
    """The API key from `key_env`; None for a loopback server without one; `ModelError` otherwise."""
    key = os.environ.get(key_env, "").strip()
    if key:
        return key
    if is_loopback(base_url):
        return None
    raise ModelError(
        f"no API key for {base_url}: the environment variable {key_env} is not set",
        where=f"${key_env}",
        fix=f"export {key_env}=<your key> (any non-empty value for a server that needs no key), "
        "or name another variable with --model-arg api_key_env=NAME",
    )
