"""User-facing errors: each says what went wrong, where, and how to fix it.

The CLI prints an `AssayError` without a traceback and exits non-zero; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class AssayError(Exception):
    """Base class for errors caused by the user's input or environment."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [self.what]
        if self.where:
            parts.append(f"  where: {self.where}")
        if self.fix:
            parts.append(f"  fix:   {self.fix}")
        return "\n".join(parts)


class DatasetError(AssayError):
    """A dataset could not be read or a row is malformed."""


class TaskError(AssayError):
    """A task is unknown or its definition is invalid."""


class ModelError(AssayError):
    """A model string, provider or model argument is invalid, or a model failed for good."""


class ConfigError(AssayError):
    """A configuration file or option is invalid."""


class RunDirError(AssayError):
    """A run directory is missing, unreadable, or does not match what was asked."""
