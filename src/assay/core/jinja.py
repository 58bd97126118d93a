"""Strict Jinja2 templates with clear errors, for prompt templates and judge rubrics.

A syntax error or an undefined variable is a `ConfigError` that says what was being compiled or rendered,
where, and (for a variable) which variables exist.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2

from assay.errors import ConfigError

__all__ = ["compile_jinja", "render_jinja"]

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False, trim_blocks=False
)


def compile_jinja(source: str, what: str, where: str) -> jinja2.Template:
    """Compile a strict Jinja2 template; a syntax error is a `ConfigError` that says what and where."""
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(
            f"{what} is not valid Jinja2: {e.message} (line {e.lineno})",
            where=where,
            fix="check the {{ }} and {% %} pairs; write variables as {{ input }}",
        ) from None


def render_jinja(
    template: jinja2.Template, variables: dict[str, Any], what: str, where: str, sample_id: str = ""
) -> str:
    """Render a strict template; an undefined variable is a `ConfigError` listing the variables available."""
    try:
        return template.render(variables)
    except jinja2.UndefinedError as e:
        match = re.search(r"'([^']+)' is undefined", str(e))
        name = match.group(1) if match else str(e)
        available = ", ".join(sorted(k for k in variables if k != "sample"))
        raise ConfigError(
            f"{what} uses the undefined variable {name!r}" + (f" (sample {sample_id})" if sample_id else ""),
            where=where,
            fix=f"use one of the variables available: {available}",
        ) from None
