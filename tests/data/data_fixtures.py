"""Helpers for assay.data tests: the bundled BoolQ passages, near-duplicate corpora with brute-force truth."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from assay.data.textutil import shingle_set

FIXTURES = Path(__file__).parent / "fixtures"


def load_passages() -> list[dict[str, str]]:
    with gzip.open(FIXTURES / "boolq_passages.jsonl.gz", "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def edit(text: str, rate: float, rng: random.Random, vocab: list[str]) -> str:
    """Substitute, delete or insert words at `rate` per word (seeded): a near-duplicate of `text`."""
    out: list[str] = []
    for w in text.split():
        r = rng.random()
        if r < rate / 3:
            out.append(rng.choice(vocab))
        elif r < 2 * rate / 3:
            continue
        elif r < rate:
            out.extend([w, rng.choice(vocab)])
        else:
            out.append(w)
    return " ".join(out)


@dataclass
class NearDupFixture:
    texts: list[str]
    true_pairs: set[tuple[int, int]]  # exact Jaccard >= 0.8, brute force over all pairs
    n_edited: int


def exact_pairs(texts: list[str], ngram: int, threshold: float) -> set[tuple[int, int]]:
    """All pairs with exact Jaccard >= threshold, by sparse matrix product over shingle sets (brute force)."""
    vocab: dict[tuple[str, ...], int] = {}
    rows, cols = [], []
    for i, t in enumerate(texts):
        for s in shingle_set(t, ngram):
            rows.append(i)
            cols.append(vocab.setdefault(s, len(vocab)))
    x = sp.csr_matrix((np.ones(len(rows), np.int32), (rows, cols)), shape=(len(texts), len(vocab)))
    inter = (x @ x.T).tocoo()
    size = np.asarray(x.sum(axis=1)).ravel()
    out = set()
    for i, j, v in zip(inter.row, inter.col, inter.data, strict=True):
        if i < j and v / (size[i] + size[j] - v) >= threshold:
            out.add((int(i), int(j)))
    return out


def build_neardup(passages: list[dict[str, str]], n_base: int, n_edit: int, seed: int = 0) -> NearDupFixture:
    """`n_base` real passages (BoolQ's own duplicates included) plus `n_edit` edited copies at edit rates
    spread from 0 to 10% of words, which puts their Jaccard to the original across the 0.8 threshold."""
    rng = random.Random(seed)
    base = [p["text"] for p in passages[:n_base]]
    vocab = sorted({w for t in base for w in t.split()})
    texts = list(base)
    long_ones = [i for i, t in enumerate(base) if len(t.split()) >= 40]
    for k in range(n_edit):
        src = base[rng.choice(long_ones)]
        texts.append(edit(src, 0.10 * k / n_edit, rng, vocab))
    order = list(range(len(texts)))
    rng.shuffle(order)
    texts = [texts[i] for i in order]
    return NearDupFixture(texts, exact_pairs(texts, 5, 0.8), n_edit)


def write_shards(docs: list[dict[str, object]], folder: Path, n: int, suffix: str = ".jsonl") -> list[Path]:
    """Split `docs` into `n` JSONL shards (round-robin keeps every shard non-empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in range(n):
        p = folder / f"shard-{s:03d}{suffix}"
        lines = "".join(json.dumps(d) + "\n" for d in docs[s::n])
        if suffix.endswith(".gz"):
            with gzip.open(p, "wt", encoding="utf-8") as f:
                f.write(lines)
        else:
            p.write_text(lines)
        paths.append(p)
    return paths


def read_output(folder: Path) -> list[dict[str, object]]:
    out = []
    for p in sorted(folder.glob("part-*")):
        opener = gzip.open if p.name.endswith(".gz") else open
        with opener(p, "rt", encoding="utf-8") as f:
            out.extend(json.loads(line) for line in f)
    return out
