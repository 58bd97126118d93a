"""Text-matching scorers: `exact_match`, `includes` and `regex_match` (metric "accuracy").

The target may be one string or a list of acceptable answers; a response is correct when it
matches any of them. Matching is on the response text only: a failed call (empty text) scores 0.

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> exact_match(ignore_case=True).score(Sample(input="Capital?", target="Paris"), Response("paris ")).value
    {'accuracy': 1.0}
"""

from __future__ import annotations

import re
from typing import Any, Literal

from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.models.base import Response
from assay.scorers.base import Score, Scorer

__all__ = ["ExactMatch", "Includes", "RegexMatch", "exact_match", "includes", "regex_match", "targets_of"]


def targets_of(sample: Sample) -> list[str]:
    """The acceptable answers of a sample, as a list of strings."""
    return [str(t) for t in sample.target] if isinstance(sample.target, list) else [str(sample.target)]


def _norm(text: str, *, ignore_case: bool, strip: bool) -> str:
    if strip:
        text = text.strip()
    return text.casefold() if ignore_case else text


def _error_meta(response: Response) -> dict[str, Any]:
    return {"error": response.error} if response.error else {}


class ExactMatch(Scorer):
    """Correct when the (stripped, optionally case-folded) response equals a target."""

    name = "exact_match"

    def __init__(self, *, ignore_case: bool = False, strip: bool = True) -> None:
        self.ignore_case = ignore_case
        self.strip = strip

    def score(self, sample: Sample, response: Response) -> Score:
        answer = _norm(response.text, ignore_case=self.ignore_case, strip=self.strip)
        hit = any(answer == _norm(t, ignore_case=self.ignore_case, strip=self.strip) for t in targets_of(sample))
        return Score({"accuracy": float(hit)}, answer=response.text.strip(), metadata=_error_meta(response))

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "ignore_case": self.ignore_case, "strip": self.strip}


class Includes(ExactMatch):
    """Correct when a target occurs anywhere in the response (e.g. "The capital is Paris.")."""

    name = "includes"

    def score(self, sample: Sample, response: Response) -> Score:
        text = _norm(response.text, ignore_case=self.ignore_case, strip=False)
        found = [
            t
            for t in targets_of(sample)
            if (n := _norm(t, ignore_case=self.ignore_case, strip=self.strip)) and n in text
        ]
        meta = {**_error_meta(response), **({"matched": found[0]} if found else {})}
        return Score({"accuracy": float(bool(found))}, answer=response.text.strip(), metadata=meta)


class RegexMatch(Scorer):
    """Extract the answer with a regular expression, then compare it to the targets.

    The answer is group 1 of the pattern if it has groups, else the whole match; `position`
    picks the first or the last match (models often restate their final answer at the end).
    No match scores 0 with `metadata["extracted"] = False`.
    """

    name = "regex_match"

    def __init__(
        self,
        pattern: str,
        *,
        ignore_case: bool = False,
        strip: bool = True,
        position: Literal["first", "last"] = "first",
    ) -> None:
        try:
            self.regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
        except re.error as e:
            raise ConfigError(f"invalid regular expression {pattern!r}: {e}", where="regex_match pattern") from None
        if position not in ("first", "last"):
            raise ConfigError(f"position must be 'first' or 'last', got {position!r}", where="regex_match position")
        self.pattern = pattern
        self.ignore_case = ignore_case
        self.strip = strip
        self.position = position

    def extract(self, text: str) -> str | None:
        matches = list(self.regex.finditer(text))
        if not matches:
            return None
        match = matches[0] if self.position == "first" else matches[-1]
        group = match.group(1) if self.regex.groups else match.group(0)
        return group if group is not None else ""

    def score(self, sample: Sample, response: Response) -> Score:
        answer = self.extract(response.text)
        if answer is None:
            return Score({"accuracy": 0.0}, answer=None, metadata={"extracted": False, **_error_meta(response)})
        norm = _norm(answer, ignore_case=self.ignore_case, strip=self.strip)
        hit = any(norm == _norm(t, ignore_case=self.ignore_case, strip=self.strip) for t in targets_of(sample))
        return Score({"accuracy": float(hit)}, answer=answer.strip() if self.strip else answer)

    def spec(self) -> dict[str, Any]:
        return {
            **super().spec(),
            "pattern": self.pattern,
            "ignore_case": self.ignore_case,
            "strip": self.strip,
            "position": self.position,
        }


def exact_match(*, ignore_case: bool = False, strip: bool = True) -> ExactMatch:
    """Accuracy: the response equals a target (after stripping whitespace, and case-folding if asked).

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> exact_match().score(Sample(input="2+2=", target=["4", "four"]), Response("four")).value
    {'accuracy': 1.0}
    """
    return ExactMatch(ignore_case=ignore_case, strip=strip)


def includes(*, ignore_case: bool = False, strip: bool = True) -> Includes:
    """Accuracy: a target occurs in the response.

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> includes().score(Sample(input="Capital of France?", target="Paris"), Response("It is Paris.")).value
    {'accuracy': 1.0}
    """
    return Includes(ignore_case=ignore_case, strip=strip)


def regex_match(
    pattern: str,
    *,
    ignore_case: bool = False,
    strip: bool = True,
    position: Literal["first", "last"] = "first",
) -> RegexMatch:
    """Accuracy: the part of the response the pattern extracts equals a target.

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> s = regex_match(r"ANSWER:\\s*(\\w+)", position="last")
    >>> s.score(Sample(input="?", target="yes"), Response("ANSWER: no... ANSWER: yes")).answer
    'yes'
    """
    return RegexMatch(pattern, ignore_case=ignore_case, strip=strip, position=position)
