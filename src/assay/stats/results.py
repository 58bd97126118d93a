"""Plain-text tables for result objects, so that answers print readably in a terminal and a notebook."""

from __future__ import annotations

import math
from collections.abc import Sequence


def fmt(x: float | int | None, digits: int = 4) -> str:
    """Format a number compactly: ints as ints, small p-values in scientific notation, None as '-'."""
    if x is None:
        return "-"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x != 0 and abs(x) < 10 ** (-digits):
        return f"{x:.{max(digits - 2, 1)}e}"
    return f"{x:.{digits}f}"


def table(title: str, rows: Sequence[tuple[str, str]], note: str | None = None) -> str:
    """A two-column table with a title rule, in the spirit of statsmodels' `summary()`.

    >>> print(table("Demo", [("n", "3")]))
    ========
      Demo
    --------
    n      3
    ========
    """
    width_k = max((len(k) for k, _ in rows), default=0)
    width_v = max((len(v) for _, v in rows), default=0)
    width = max(width_k + 3 + width_v, len(title) + 4)
    lines = ["=" * width, title.center(width).rstrip(), "-" * width]
    for k, v in rows:
        lines.append(f"{k:<{width - width_v}}{v:>{width_v}}")
    lines.append("=" * width)
    if note:
        lines.append(note)
    return "\n".join(lines)
