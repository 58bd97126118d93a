"""Quality heuristics in the style of Gopher (Rae et al., 2021) and C4 (Raffel et al., 2020).

Each filter drops a document for the first rule it fails and records the rule as the drop reason
(`gopher_quality:min_words`), so a run's statistics say why every document went. Thresholds are fields;
the defaults are the published ones.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from assay.data.document import Document
from assay.data.pipeline import MapStep
from assay.data.stats import StepStats

STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
BULLETS = ("•", "●", "○", "■", "□", "▪", "▫", "※", "·", "-", "*", "–", "—", "➢", "►", "✓")
ELLIPSES = ("...", "…")
TERMINAL = (".", "!", "?", '"', "'", "”", "’")
_ALPHA = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"\w+")


class RuleFilter(MapStep):
    """A filter that keeps or drops whole documents: `reason(text)` names the first rule a text fails."""

    def reason(self, text: str) -> str | None:
        """The first rule `text` fails, or None."""
        raise NotImplementedError

    def apply_one(self, doc: Document, stats: StepStats) -> Document | None:
        """Keep `doc` or drop it with the failed rule as the reason."""
        why = self.reason(doc.text)
        if why is None:
            return doc
        stats.drop(f"{self.name}:{why}")
        return None


@dataclass
class GopherQualityFilter(RuleFilter):
    """Gopher's document-level rules: word count, mean word length, symbol, bullet and ellipsis ratios,
    share of words with a letter, and presence of English stop words."""

    name: str = "gopher_quality"
    min_words: int = 50
    max_words: int = 100_000
    min_avg_word_length: float = 3.0
    max_avg_word_length: float = 10.0
    max_symbol_word_ratio: float = 0.1
    max_bullet_lines_ratio: float = 0.9
    max_ellipsis_lines_ratio: float = 0.3
    min_alpha_words_ratio: float = 0.8
    min_stop_words: int = 2

    def reason(self, text: str) -> str | None:
        """The first rule `text` fails, or None."""
        words = text.split()
        n = len(words)
        if n < self.min_words:
            return "min_words"
        if n > self.max_words:
            return "max_words"
        avg = sum(len(w) for w in words) / n
        if avg < self.min_avg_word_length:
            return "min_avg_word_length"
        if avg > self.max_avg_word_length:
            return "max_avg_word_length"
        symbols = text.count("#") + sum(text.count(e) for e in ELLIPSES)
        if symbols / n > self.max_symbol_word_ratio:
            return "max_symbol_word_ratio"
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if lines:
            if sum(ln.startswith(BULLETS) for ln in lines) / len(lines) > self.max_bullet_lines_ratio:
                return "max_bullet_lines_ratio"
            if sum(ln.endswith(ELLIPSES) for ln in lines) / len(lines) > self.max_ellipsis_lines_ratio:
                return "max_ellipsis_lines_ratio"
        if sum(1 for w in words if _ALPHA.search(w)) / n < self.min_alpha_words_ratio:
            return "min_alpha_words_ratio"
        if len(STOP_WORDS.intersection(w.lower() for w in words)) < self.min_stop_words:
            return "min_stop_words"
        return None


def _dup_fraction(items: list[str]) -> tuple[float, float]:
    """Fraction of items that repeat an earlier one, and the fraction of characters they hold."""
    seen: set[str] = set()
    dup = dup_chars = total_chars = 0
    for it in items:
        total_chars += len(it)
        if it in seen:
            dup += 1
            dup_chars += len(it)
        seen.add(it)
    return dup / max(1, len(items)), dup_chars / max(1, total_chars)


def _top_ngram_char_fraction(words: list[str], n: int) -> float:
    """Characters of the most frequent n-gram (times its count) over all word characters."""
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    if not grams:
        return 0.0
    gram, count = grams.most_common(1)[0]
    if count < 2:
        return 0.0
    return sum(len(w) for w in gram) * count / max(1, sum(len(w) for w in words))


def _dup_ngram_char_fraction(words: list[str], n: int) -> float:
    """Characters of words covered by n-grams that occur more than once, each word counted once."""
    seen: set[tuple[str, ...]] = set()
    covered = [False] * len(words)
    for i in range(len(words) - n + 1):
        g = tuple(words[i : i + n])
        if g in seen:
            for k in range(i, i + n):
                covered[k] = True
        seen.add(g)
    total = sum(len(w) for w in words)
    return sum(len(w) for w, c in zip(words, covered, strict=True) if c) / max(1, total)


@dataclass
class GopherRepetitionFilter(RuleFilter):
    """Gopher's repetition rules: duplicate lines and paragraphs, top n-gram and duplicate n-gram shares."""

    name: str = "gopher_repetition"
    max_dup_line_fraction: float = 0.30
    max_dup_para_fraction: float = 0.30
    max_dup_line_char_fraction: float = 0.20
    max_dup_para_char_fraction: float = 0.20
    top_ngrams: dict[int, float] = field(default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16})
    dup_ngrams: dict[int, float] = field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
    )

    def reason(self, text: str) -> str | None:
        """The first rule `text` fails, or None."""
        paras = [p.strip() for p in re.split(r"\n{2,}", text) if p.strip()]
        frac, chars = _dup_fraction(paras)
        if frac > self.max_dup_para_fraction:
            return "dup_para_fraction"
        if chars > self.max_dup_para_char_fraction:
            return "dup_para_char_fraction"
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        frac, chars = _dup_fraction(lines)
        if frac > self.max_dup_line_fraction:
            return "dup_line_fraction"
        if chars > self.max_dup_line_char_fraction:
            return "dup_line_char_fraction"
        words = _WORD.findall(text.lower())
        for n, limit in sorted(self.top_ngrams.items()):
            if _top_ngram_char_fraction(words, n) > limit:
                return f"top_{n}gram_char_fraction"
        for n, limit in sorted(self.dup_ngrams.items()):
            if _dup_ngram_char_fraction(words, n) > limit:
                return f"dup_{n}gram_char_fraction"
        return None


POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")


@dataclass
class C4Filter(MapStep):
    """C4's rules: drop lines without terminal punctuation, short lines, lines naming javascript or a policy;
    drop documents with "lorem ipsum", a curly brace, or too few sentences left. Removed lines are counted."""

    name: str = "c4"
    min_words_per_line: int = 3
    min_sentences: int = 5
    remove_no_terminal_punct: bool = True
    drop_curly_brace: bool = True

    def apply_one(self, doc: Document, stats: StepStats) -> Document | None:
        """Clean `doc` line by line, then keep it or drop it with the failed rule as the reason."""
        low = doc.text.lower()
        if "lorem ipsum" in low:
            stats.drop(f"{self.name}:lorem_ipsum")
            return None
        if self.drop_curly_brace and "{" in doc.text:
            stats.drop(f"{self.name}:curly_brace")
            return None
        kept: list[str] = []
        for line in doc.text.splitlines():
            s = line.strip()
            if not s:
                continue
            ls = s.lower()
            if self.remove_no_terminal_punct and not s.endswith(TERMINAL):
                stats.count("c4:line_no_terminal_punct")
            elif len(s.split()) < self.min_words_per_line:
                stats.count("c4:line_too_short")
            elif "javascript" in ls:
                stats.count("c4:line_javascript")
            elif any(p in ls for p in POLICY):
                stats.count("c4:line_policy")
            else:
                kept.append(s)
        text = "\n".join(kept)
        if len(re.findall(r"[.!?]+(?:\s|$)", text)) < self.min_sentences:
            stats.drop(f"{self.name}:min_sentences")
            return None
        if text == doc.text:
            return doc
        return Document(doc.id, text, doc.metadata)
