"""Counterfactual demographic swaps: the same sample with its gendered words, given names or race and
ethnicity words replaced, for counterfactual fairness (Kusner et al., 2017; as HELM's fairness
perturbations, Liang et al. 2022 §D.2).

Swaps rewrite the input *and* the options (an option that names a person must keep naming the same
person); a target given as an option's text follows its option. The "group" of a variant is the term set
substituted: `gender:female` makes every gendered word female, `names:black_female` every known given
name one from that list. Comparing the variants of one attribute with each other (per-group accuracy)
and with the clean sample (flip rate) is done by `assay.perturb.fairness_metrics`.

Heuristics, stated because they can misfire: "her" becomes "him" before a word that follows an object
("to", "the", "enter", "safe", "less"...) or at the end, and "his" otherwise; "his" becomes "hers" before
punctuation or at the end and "her" otherwise; race words are matched only when capitalised.
"""

from __future__ import annotations

import random
import re
from typing import Any

from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.perturb.base import WORD, load_data, match_case, rewrite_text

__all__ = ["GENDER_GROUPS", "gender_swap", "name_groups", "names_swap", "race_groups", "race_swap"]

GENDER_GROUPS = ("female", "male")
# Words after which "her" is an object pronoun ("gave her the book"), not a determiner ("her book").
_OBJECT_FOLLOWERS = frozenset(
    (
        "the",
        "a",
        "an",
        "to",
        "and",
        "or",
        "but",
        "in",
        "on",
        "at",
        "for",
        "of",
        "with",
        "from",
        "by",
        "as",
        "than",
        "that",
        "this",
        "these",
        "those",
        "if",
        "when",
        "while",
        "because",
        "so",
        "then",
        "up",
        "down",
        "out",
        "off",
        "over",
        "into",
        "about",
        "again",
        "is",
        "was",
    )
)


# Verbs and adjectives that follow an object "her" ("let her enter", "keep her safe", "make her less
# trusting") and are seldom nouns, so "her" before them is not a determiner.
_OBJECT_COMPLEMENTS = frozenset(
    [
        "enter",
        "go",
        "come",
        "feel",
        "know",
        "understand",
        "think",
        "believe",
        "be",
        "become",
        "do",
        "get",
        "safe",
        "happy",
        "sad",
        "angry",
        "less",
        "more",
        "comfortable",
        "uncomfortable",
        "aware",
        "alone",
        "late",
        "early",
        "sick",
        "better",
        "worse",
    ]
)


def _tables() -> tuple[dict[str, str], dict[str, str]]:
    pairs: list[list[str]] = load_data("demographic.json")["gender_pairs"]
    to_female = {m: f for m, f in pairs} | {"he": "she"}
    to_male = {f: m for m, f in pairs if f != "her"} | {"she": "he", "hers": "his"}
    return to_male, to_female


def _next_word(text: str, end: int) -> str | None:
    m = re.match(r"\s+([A-Za-z]+)", text[end:])
    return m.group(1).lower() if m else None


def _gender_fn(target: str | None) -> Any:
    """target "female"/"male": every gendered word to that gender; None: every word to the other gender."""
    to_male, to_female = _tables()

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        edits: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            # "He's" and "mother's": swap the word before the apostrophe and keep the clitic.
            whole = m.group(0)
            word, clitic = re.match(r"([A-Za-z]+)(.*)", whole).groups()  # type: ignore[union-attr]
            low = word.lower()
            new: str | None = None
            if low == "her" and target != "female":
                following = _next_word(text, m.end())
                is_object = following is None or following in _OBJECT_FOLLOWERS or following in _OBJECT_COMPLEMENTS
                new = "him" if is_object else "his"
            elif low == "his" and target != "male":
                following = _next_word(text, m.end())
                new = "hers" if following is None or following in _OBJECT_FOLLOWERS else "her"
            elif low in to_female and target != "male":
                new = to_female[low]
            elif low in to_male and target != "female":
                new = to_male[low]
            if new is None:
                return whole
            new = match_case(word, new) + clitic
            edits.append((whole, new))
            return new

        return WORD.sub(repl, text), edits

    return fn


def gender_swap(group: str | None) -> Any:
    """`swap_gender` (group None: each gendered word to the other gender) or `gender:<female|male>`."""
    if group is not None and group not in GENDER_GROUPS:
        raise ConfigError(
            f"unknown gender group {group!r}", where="perturbation gender", fix="use gender:female or gender:male"
        )
    fn = _gender_fn(group)
    name = "swap_gender" if group is None else f"gender:{group}"
    info: dict[str, Any] = {"name": name, "kind": "counterfactual", "attribute": "gender", "group": group or "swapped"}

    def transform(sample: Sample, rng: random.Random) -> Sample:
        return rewrite_text(sample, rng, fn, info, choices=True)

    return transform


def name_groups() -> list[str]:
    """The name lists that `names:<group>` can substitute from."""
    return sorted(load_data("demographic.json")["names"])


def _name_gender(name: str, lists: dict[str, list[str]]) -> str | None:
    genders = {g.rsplit("_", 1)[-1] for g, names in lists.items() if name in names}
    return genders.pop() if len(genders) == 1 else None


def names_swap(group: str) -> Any:
    """`names:<group>`: every known given name becomes one from the `group` list (same name -> same name).

    A gendered target list (`black_female`) is used as is; for a race-only request (`black`, `white`) the
    replacement keeps the original name's gender, so that pronouns stay consistent.
    """
    lists: dict[str, list[str]] = load_data("demographic.json")["names"]
    races = sorted({g.rsplit("_", 1)[0] for g in lists if "_" in g})
    if group not in lists and group not in races:
        raise ConfigError(
            f"unknown name group {group!r}",
            where="perturbation names",
            fix=f"use one of: {', '.join(sorted(lists) + races)}",
        )
    known = {n for names in lists.values() for n in names}
    info: dict[str, Any] = {"name": f"names:{group}", "kind": "counterfactual", "attribute": "names", "group": group}

    def pool_for(original: str) -> list[str]:
        if group in lists:
            return lists[group]
        gender = _name_gender(original, lists)
        keys = [f"{group}_{gender}"] if gender else [k for k in lists if k.startswith(group + "_")]
        return [n for k in keys for n in lists[k]]

    def transform(sample: Sample, rng: random.Random) -> Sample:
        mapping: dict[str, str] = {}

        def fn(text: str, r: random.Random) -> tuple[str, list[tuple[str, str]]]:
            edits: list[tuple[str, str]] = []

            def repl(m: re.Match[str]) -> str:
                word = m.group(0)
                if word not in known:
                    return word
                if word not in mapping:
                    # Distinct people stay distinct: avoid names already handed out in this sample.
                    pool = [n for n in pool_for(word) if n not in mapping.values()] or pool_for(word)
                    mapping[word] = r.choice(sorted(pool))
                if mapping[word] != word:
                    edits.append((word, mapping[word]))
                return mapping[word]

            return WORD.sub(repl, text), edits

        return rewrite_text(sample, rng, fn, info, choices=True)

    return transform


def race_groups() -> list[str]:
    """The groups `race:<group>` can substitute."""
    return sorted(load_data("demographic.json")["race"]["groups"])


def race_swap(group: str) -> Any:
    """`race:<group>`: every capitalised race or ethnicity word becomes the group's word ("Black", "Asian"...)."""
    race = load_data("demographic.json")["race"]
    if group not in race["groups"]:
        raise ConfigError(
            f"unknown race group {group!r}", where="perturbation race", fix=f"use one of: {', '.join(race_groups())}"
        )
    term: str = race["groups"][group]
    alternatives = "|".join(re.escape(t) for t in sorted(race["terms"], key=len, reverse=True))
    # Case-sensitive on purpose ("white" is usually a colour); a leading article is re-chosen ("an Asian").
    pattern = re.compile(rf"\b(?:(?P<article>[Aa]n?) )?(?P<term>{alternatives})\b")
    article = "an" if term[0] in "AEIOU" else "a"
    info: dict[str, Any] = {"name": f"race:{group}", "kind": "counterfactual", "attribute": "race", "group": group}

    def fn(text: str, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
        edits: list[tuple[str, str]] = []

        def repl(m: re.Match[str]) -> str:
            new = term
            if m.group("article"):
                new = match_case(m.group("article"), article) + " " + term
            if m.group(0) != new:
                edits.append((m.group(0), new))
            return new

        return pattern.sub(repl, text), edits

    def transform(sample: Sample, rng: random.Random) -> Sample:
        return rewrite_text(sample, rng, fn, info, choices=True)

    return transform
