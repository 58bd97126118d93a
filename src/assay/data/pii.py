"""PII: find e-mail addresses, phone numbers, IP addresses, credit-card numbers (Luhn-checked), US social
security numbers and IBANs; replace them with typed placeholders (`<EMAIL>`) and count them by type.

Detection is regular expressions plus validity checks (Luhn, IP octet ranges, SSN area rules, IBAN mod 97)
that turn most look-alike numbers (ISBNs, dates, version strings) away.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assay.data.document import Document
from assay.data.errors import DataPipelineError
from assay.data.pipeline import MapStep
from assay.data.stats import StepStats


def luhn_ok(number: str) -> bool:
    """The Luhn checksum of a digit string (spaces and dashes ignored)."""
    digits = [int(c) for c in number if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _ssn_ok(s: str) -> bool:
    area, group, serial = s[0:3], s[4:6], s[7:11]
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


def _ip_ok(s: str) -> bool:
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


def _iban_ok(s: str) -> bool:
    s = s.replace(" ", "").upper()
    moved = s[4:] + s[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


@dataclass(frozen=True)
class PiiType:
    """One kind of PII: a pattern, an optional validity check, and its placeholder."""

    name: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None

    @property
    def placeholder(self) -> str:
        """`<EMAIL>`, `<PHONE>`, ..."""
        return f"<{self.name.upper()}>"


PII_TYPES: dict[str, PiiType] = {
    t.name: t
    for t in [
        PiiType("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")),
        # before phone: a card number would otherwise be eaten by the phone pattern
        PiiType("credit_card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), luhn_ok),
        PiiType("iban", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), _iban_ok),
        PiiType("us_ssn", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), _ssn_ok),
        PiiType(
            "ip_address",
            re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"),
            _ip_ok,
        ),
        PiiType(
            "phone",
            re.compile(
                # not inside a longer run of digit groups (a card number failing Luhn is not a phone)
                r"(?<![\w+])(?<!\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])"
                r"\d{3,4}[ .-]\d{3,4}\b(?![ .-]\d)"
                r"|(?<![\w+])\+\d{8,14}\b"
            ),
        ),
    ]
}


@dataclass
class PiiScrubber(MapStep):
    """Replace (`mode="scrub"`), or only count (`"detect"`), or drop documents with (`"drop"`) PII.

    >>> PiiScrubber().scrub("mail me at a.b@example.org")[0]
    'mail me at <EMAIL>'
    """

    name: str = "pii"
    types: list[str] = field(default_factory=lambda: list(PII_TYPES))
    mode: str = "scrub"

    def __post_init__(self) -> None:
        unknown = [t for t in self.types if t not in PII_TYPES]
        if unknown:
            raise DataPipelineError(
                f"unknown PII types: {', '.join(unknown)}", where="steps: pii.types", fix=f"use {', '.join(PII_TYPES)}"
            )
        if self.mode not in ("scrub", "detect", "drop"):
            raise DataPipelineError(
                f"unknown PII mode {self.mode!r}", where="steps: pii.mode", fix="scrub, detect or drop"
            )

    def scrub(self, text: str) -> tuple[str, dict[str, int]]:
        """`text` with each PII match replaced by its placeholder, and the count per type."""
        counts: dict[str, int] = {}
        for name in PII_TYPES:  # fixed order: cards before phones, see PII_TYPES
            if name not in self.types:
                continue
            t = PII_TYPES[name]

            def sub(m: re.Match[str], t: PiiType = t) -> str:
                if t.check is not None and not t.check(m.group(0)):
                    return m.group(0)
                counts[t.name] = counts.get(t.name, 0) + 1
                return t.placeholder

            text = t.pattern.sub(sub, text)
        return text, counts

    def apply_one(self, doc: Document, stats: StepStats) -> Document | None:
        """Scrub, count or drop one document."""
        text, counts = self.scrub(doc.text)
        for k, v in counts.items():
            stats.count(f"pii:{k}", v)
        if not counts or self.mode == "detect":
            return doc
        if self.mode == "drop":
            stats.drop(f"pii:{'+'.join(sorted(counts))}")
            return None
        return Document(doc.id, text, doc.metadata)
