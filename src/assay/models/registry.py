"""Model strings (`provider/model`) to provider instances.

Providers are imported lazily so that `assay --help` never pays for torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from assay.errors import ModelError
from assay.models.base import Model

# provider prefix -> "module:class"
PROVIDERS: dict[str, str] = {
    "openai": "assay.models.openai:OpenAIModel",
    "hf": "assay.models.hf:HFModel",
}
# provider prefix -> "module:function" that checks its model arguments without building the model
ARGUMENT_CHECKS: dict[str, str] = {
    "openai": "assay.models.openai_args:parse_openai_args",
    "hf": "assay.models.hf_loading:parse_hf_args",
}


@dataclass(slots=True)
class ModelOptions:
    """Options every provider accepts; `model_args` holds provider-specific `k=v` pairs."""

    base_url: str | None = None
    model_args: dict[str, str] = field(default_factory=dict)
    max_connections: int = 32
    timeout: float = 120.0
    max_retries: int = 8


def split_model_string(model: str) -> tuple[str, str]:
    provider, sep, name = model.partition("/")
    if not sep or not name:
        raise ModelError(
            f"model {model!r} does not name a provider",
            where="--model",
            fix=f"write provider/model, e.g. openai/gpt-4o-mini or hf/smollm2; providers: {', '.join(PROVIDERS)}",
        )
    return provider, name


def _provider(model: str) -> tuple[str, str, str]:
    """The provider prefix, the model name and the provider's "module:class"; a clear error when unknown."""
    provider, name = split_model_string(model)
    target = PROVIDERS.get(provider)
    if target is None:
        raise ModelError(
            f"unknown model provider {provider!r} in {model!r}",
            where="--model",
            fix=f"use one of: {', '.join(sorted(PROVIDERS))}",
        )
    return provider, name, target


def check_model(model: str, model_args: dict[str, str] | None = None) -> None:
    """Raise the error `get_model` would for a bad model string or model argument, without building the
    model (loading weights can take seconds), so that a suite can refuse it before it starts."""
    provider, _, _ = _provider(model)
    check = ARGUMENT_CHECKS.get(provider)
    if check is not None and model_args:
        module_name, function = check.split(":")
        getattr(importlib.import_module(module_name), function)(dict(model_args))


def get_model(model: str, options: ModelOptions | None = None) -> Model:
    """Build the provider for `model` ("openai/gpt-4o-mini", "hf/smollm2", ...)."""
    _, name, target = _provider(model)
    module_name, class_name = target.split(":")
    cls: Any = getattr(importlib.import_module(module_name), class_name)
    instance: Model = cls(name, options or ModelOptions())
    return instance
