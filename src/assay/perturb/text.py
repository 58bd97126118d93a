"""Text perturbations of a sample's input: typos, character swaps, casing, whitespace, contractions,
filler words and synonyms (the robustness perturbations of HELM, Liang et al. 2022, §D).

They rewrite the question only (the `input`, or the user turns of a chat input). Answer options are left
verbatim, so the answer key cannot be corrupted and a log-likelihood task still scores the same
continuations; a perturbation of the options would test a different thing (reading noisy answers).
Each factory takes its parameter (a rate or a mode) and returns a `TextFn`.
"""

from __future__ import annotations

import random
import re

from assay.perturb.base import WORD, TextFn, load_data, match_case, sub_words

__all__ = ["case", "contract", "expand", "filler", "swap", "synonym", "typo", "whitespace"]

FILLERS = ("uh", "um", "like", "you know", "basically", "actually", "I mean", "well")


def typo(rate: float) -> TextFn:
    """Keyboard typos ("butter fingers"): each letter becomes a QWERTY neighbour with probability `rate`."""
    neighbours: dict[str, str] = load_data("keyboard.json")["neighbours"]

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        def one(word: str) -> str:
            chars = list(word)
            for i, c in enumerate(chars):
                near = neighbours.get(c.lower())
                if near and rng.random() < rate:
                    new = rng.choice(near)
                    chars[i] = new.upper() if c.isupper() else new
            return "".join(chars)

        return sub_words(text, one)

    return fn


def swap(rate: float) -> TextFn:
    """Character swaps: in each word of 4+ letters, with probability `rate`, two adjacent inner letters trade places.

    The first and last letters stay, which keeps the word readable to people (the "Cmabrigde" effect) and
    makes this a test of robustness rather than of deciphering.
    """

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        def one(word: str) -> str:
            if len(word) < 4 or not word.isalpha() or rng.random() >= rate:
                return word
            i = rng.randrange(1, len(word) - 2)
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

        return sub_words(text, one)

    return fn


CASE_MODES = ("lower", "upper", "title", "random")


def case(mode: str) -> TextFn:
    """Casing: the whole input in `lower`, `upper` or `title` case, or `random` (each word lower, upper or title)."""

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        if mode == "random":
            styles = (str.lower, str.upper, str.title)
            return sub_words(text, lambda w: rng.choice(styles)(w))
        new = {"lower": text.lower(), "upper": text.upper(), "title": _title(text)}[mode]
        return new, ([(text, new)] if new != text else [])

    return fn


def _title(text: str) -> str:
    # str.title() capitalises after apostrophes ("Don'T"); capitalise whole words only.
    return WORD.sub(lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), text)


_SPACE = re.compile(r" ")


def whitespace(rate: float) -> TextFn:
    """Extra whitespace: each space becomes 2-4 spaces, a tab or a newline-plus-space, with probability `rate`."""
    choices = ("  ", "   ", "    ", "\t", "\n ")

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        edits: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            if rng.random() < rate:
                new = rng.choice(choices)
                edits.append((" ", new))
                return new
            return " "

        return _SPACE.sub(repl, text), edits

    return fn


def _contraction_pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w).replace("'", "['’]") for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def contract() -> TextFn:
    """Contractions: every listed expansion becomes its contraction ("do not" -> "don't")."""
    table: dict[str, str] = load_data("contractions.json")["contractions"]
    lower = {k.lower(): v for k, v in table.items()}
    pattern = _contraction_pattern(list(table))

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        edits: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            new = match_case(m.group(0), lower[re.sub(r"\s+", " ", m.group(0).lower())])
            edits.append((m.group(0), new))
            return new

        return pattern.sub(repl, text), edits

    return fn


def expand() -> TextFn:
    """Expansions: every listed contraction becomes its expansion ("don't" -> "do not")."""
    table: dict[str, str] = load_data("contractions.json")["contractions"]
    reverse = {v.lower(): k for k, v in table.items()}
    pattern = _contraction_pattern(list(reverse))

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        edits: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            key = m.group(0).lower().replace("’", "'")
            expansion = reverse[key]
            new = expansion if expansion.startswith("I ") else match_case(m.group(0), expansion)
            edits.append((m.group(0), new))
            return new

        return pattern.sub(repl, text), edits

    return fn


def filler(rate: float) -> TextFn:
    """Filler words: after each word, with probability `rate`, a disfluency ("uh", "you know", ...) is inserted."""

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        edits: list[tuple[str, str]] = []
        out: list[str] = []
        last = 0
        for m in WORD.finditer(text):
            out.append(text[last : m.end()])
            last = m.end()
            # Only between words: a filler before punctuation or at the very end reads as a different sentence.
            if text[m.end() : m.end() + 1] == " " and rng.random() < rate:
                word = rng.choice(FILLERS)
                out.append(" " + word)
                edits.append((m.group(0), m.group(0) + " " + word))
        out.append(text[last:])
        return "".join(out), edits

    return fn


def synonym(rate: float) -> TextFn:
    """Synonym swaps: each word in the bundled synonym list is replaced, with probability `rate`, by a synonym."""
    table: dict[str, list[str]] = load_data("synonyms.json")["synonyms"]

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        def one(word: str) -> str | None:
            options = table.get(word.lower())
            if not options or rng.random() >= rate:
                return None
            return match_case(word, rng.choice(options))

        return sub_words(text, one)

    return fn
