"""Scorers that extract an answer from free text: `letter_choice` (A/B/C/D...) and `numeric_match`.

Models answer in many shapes ("The answer is (B)", "**C**", "B. Paris", "#### 42",
"$1,234.50"). Extraction tries patterns from the most explicit to the least and records which
one fired in `Score.metadata["pattern"]`, so a surprising score can be traced to its cause.
"""

from __future__ import annotations

import functools
import math
import re
import string
from typing import Any

from assay.core.sample import Sample
from assay.models.base import Response
from assay.scorers.base import Score, Scorer
from assay.scorers.match import targets_of

__all__ = [
    "LetterChoice",
    "NumericMatch",
    "extract_letter",
    "extract_number",
    "letter_choice",
    "numeric_match",
    "parse_number",
]

LETTERS = string.ascii_uppercase


@functools.lru_cache(maxsize=32)
def _letter_patterns(letters: str) -> list[tuple[str, re.Pattern[str]]]:
    # Letters are matched case-sensitively: a lowercase "a" is far more often the article.
    cls = f"[{re.escape(letters)}]"
    after = r"(?![A-Za-z0-9])"
    deco = r"[\s*_\"'`]*"
    return [
        (
            "answer_statement",
            re.compile(
                r"(?:(?i:answer)(?:\s+(?i:is|would\s+be|should\s+be|will\s+be))?\s*[:：=]?\s*(?i:option|choice)?"
                rf"{deco}[\(\[]?\s*({cls})\s*[\)\]]?{after})|(?:\\boxed\{{\s*(?:\\text\{{)?({cls})\}})"
            ),
        ),
        ("bare_letter", re.compile(rf"^\W*({cls})\W*$")),
        ("leading_letter", re.compile(rf"^[\s*_\(\[]*({cls})(?:[.):\]]|\*\*|\s*$)")),
        ("option_mention", re.compile(rf"(?i:option|choice)\s*[\(\[]?({cls})[\)\]]?{after}")),
        ("marked_letter", re.compile(rf"\(({cls})\)|\*\*({cls})\*\*|\[({cls})\]")),
        ("standalone_letter", re.compile(rf"(?<![A-Za-z0-9'’])({cls})(?![A-Za-z0-9'’])")),
    ]


def _group(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g is not None)


def extract_letter(
    text: str, n_choices: int = 4, choices: list[str] | None = None, labels: str = LETTERS
) -> tuple[str | None, str]:
    """The choice letter a free-text answer picks, and the name of the pattern that found it.

    Patterns, most explicit first: an answer statement ("answer is (B)", "Answer: **C**",
    "\\boxed{D}"; the last one wins, as models restate their final answer), a bare letter
    ("(B)", "**C**"), a leading letter ("B. Paris"), "option C", a marked letter "(A)"/"**A**"
    (the last), the text of exactly one choice, and finally a single standalone capital letter.

    >>> extract_letter("Let me think. A is wrong because... The answer is (C).")
    ('C', 'answer_statement')
    >>> extract_letter("**B**")
    ('B', 'bare_letter')
    >>> extract_letter("I am not sure.")
    (None, 'none')
    """
    letters = labels[: max(1, min(n_choices, len(labels)))]
    stripped = text.strip()
    for name, pattern in _letter_patterns(letters):
        if name == "standalone_letter" and choices:
            found_choice = _choice_text(stripped, choices)
            if found_choice is not None:
                return letters[found_choice], "choice_text"
        if name in ("bare_letter", "leading_letter"):
            match = pattern.search(stripped)
            if match:
                return _group(match), name
            continue
        matches = list(pattern.finditer(stripped))
        if not matches:
            continue
        if name == "standalone_letter":
            distinct = {_group(m) for m in matches if not _is_article(stripped, m)}
            if len(distinct) == 1:
                return distinct.pop(), name
            continue
        chosen = matches[0] if name == "option_mention" else matches[-1]
        return _group(chosen), name
    return None, "none"


_ARTICLE_FOLLOWER = re.compile(
    r"\s+(?!(?:is|was|would|seems|should|looks|appears|must|fits|matches|or|and|nor|vs)\b)[a-z]"
)


def _is_article(text: str, match: re.Match[str]) -> bool:
    # "A bird" is an article; "A is correct" is an answer.
    return _group(match) == "A" and _ARTICLE_FOLLOWER.match(text, match.end()) is not None


def _choice_text(text: str, choices: list[str]) -> int | None:
    folded = text.casefold()
    hits = [
        i
        for i, c in enumerate(choices)
        if c.strip() and re.search(rf"(?<!\w){re.escape(c.strip().casefold())}(?!\w)", folded) is not None
    ]
    return hits[0] if len(hits) == 1 else None


class LetterChoice(Scorer):
    """Accuracy of the letter extracted from a free-text answer against `sample.target_index()`."""

    name = "letter_choice"

    def __init__(self, *, match_choice_text: bool = True) -> None:
        self.match_choice_text = match_choice_text

    def score(self, sample: Sample, response: Response) -> Score:
        n = len(sample.choices) if sample.choices else 4
        choices = sample.choices if self.match_choice_text else None
        # a prompt-format variant may label choices "a."/"1." instead of "A.": read the answer in its labels
        labels = "".join((sample.metadata.get("format") or {}).get("choice_labels") or LETTERS)
        found, pattern = extract_letter(response.text, n, choices, labels)
        letter = LETTERS[labels.index(found)] if found is not None else None
        correct = LETTERS[sample.target_index()] if sample.choices else str(targets_of(sample)[0]).strip().upper()
        meta: dict[str, Any] = {"pattern": pattern}
        if response.error:
            meta["error"] = response.error
        return Score({"accuracy": float(letter == correct)}, answer=letter, metadata=meta)

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "match_choice_text": self.match_choice_text}


def letter_choice(*, match_choice_text: bool = True) -> LetterChoice:
    """Accuracy of the choice letter found in a generated answer (see `extract_letter`).

    `match_choice_text` also accepts an answer that quotes exactly one choice's text.

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> s = Sample(input="Capital of France?", choices=["Rome", "Paris"], target="B")
    >>> letter_choice().score(s, Response("The answer is B.")).value
    {'accuracy': 1.0}
    """
    return LetterChoice(match_choice_text=match_choice_text)


_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-−])?\s?\$?\s?(?P<sign2>-)?"
    r"(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"
    r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?)(?![\d/]))?"
)
_ANCHORS = (
    ("gsm8k_marker", re.compile(r"####")),
    ("boxed", re.compile(r"\\boxed\{")),
    ("answer_statement", re.compile(r"(?i:answer)(?:\s+(?i:is))?\s*[:：=]?")),
)


def parse_number(match: re.Match[str]) -> float:
    """The value of a `_NUMBER` match: commas, $, unicode minus and fractions handled."""
    value = float(match.group("num").replace(",", ""))
    if match.group("den"):
        denominator = float(match.group("den"))
        value = value / denominator if denominator else math.nan
    return -value if match.group("sign") or match.group("sign2") else value


def extract_number(text: str) -> tuple[float | None, str]:
    """The final numeric answer in `text` and the name of the rule that found it.

    Rules: the number after the last "####" (GSM8K), inside the last "\\boxed{}", after the
    last "answer is"/"Answer:", else the last number in the text. Commas, "$", "%" (the number
    is kept as written: "50%" is 50), negatives, decimals and fractions ("3/4" is 0.75) are read.

    >>> extract_number("She pays $1,250.50 in total.\\n#### 1250.5")
    (1250.5, 'gsm8k_marker')
    >>> extract_number("So x = -3/4")
    (-0.75, 'last_number')
    """
    for name, anchor in _ANCHORS:
        positions = [m.end() for m in anchor.finditer(text)]
        if positions:
            match = _NUMBER.search(text, positions[-1])
            if match:
                return parse_number(match), name
    matches = list(_NUMBER.finditer(text))
    if matches:
        return parse_number(matches[-1]), "last_number"
    return None, "none"


def _format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


class NumericMatch(Scorer):
    """Accuracy: the final number of the response equals the target's within a tolerance."""

    name = "numeric_match"

    def __init__(self, *, tolerance: float = 1e-6, relative: bool = False) -> None:
        self.tolerance = tolerance
        self.relative = relative

    def score(self, sample: Sample, response: Response) -> Score:
        value, rule = extract_number(response.text)
        meta: dict[str, Any] = {"pattern": rule}
        if response.error:
            meta["error"] = response.error
        if value is None:
            return Score({"accuracy": 0.0}, answer=None, metadata=meta)
        hit = False
        for target in targets_of(sample):
            expected, _ = extract_number(target)
            if expected is None:
                continue
            allowed = self.tolerance * abs(expected) if self.relative else self.tolerance
            hit = hit or abs(value - expected) <= allowed
        return Score({"accuracy": float(hit)}, answer=_format_number(value), metadata=meta)

    def spec(self) -> dict[str, Any]:
        return {**super().spec(), "tolerance": self.tolerance, "relative": self.relative}


def numeric_match(*, tolerance: float = 1e-6, relative: bool = False) -> NumericMatch:
    """Accuracy of the final number in a generated answer (see `extract_number`).

    The target is read with the same rules, so a full GSM8K solution ending "#### 42" works
    as a target. `tolerance` is absolute, or a fraction of the target when `relative=True`.

    >>> from assay.core.sample import Sample
    >>> from assay.models.base import Response
    >>> numeric_match().score(Sample(input="?", target="#### 1000"), Response("It costs $1,000.")).value
    {'accuracy': 1.0}
    """
    return NumericMatch(tolerance=tolerance, relative=relative)
