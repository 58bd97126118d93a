"""Benchmark contamination: index the n-grams of task samples, scan a corpus for overlaps, report spans.

Two presets follow the published methods. `gpt3` (default, Brown et al. 2020): 13-grams of lower-cased
words, punctuation ignored; a sample shorter than 13 words is indexed as one n-gram of all its words when
it has at least `min_ngram` (8) words, and is skipped (and counted) when shorter, since a 5-word question
matches clean text by chance. `gpt4` (OpenAI 2023): text reduced to lower-cased letters and digits, three
random 50-character substrings per sample (seeded by sample id; the whole sample if shorter); a document
is contaminated when it contains one. Hashes are the same stable word and character n-gram hashes as
near-dedup, looked up with one `searchsorted` per n-gram length. N-grams found in more than
`max_samples_per_ngram` samples (a benchmark's shared template) are not indexed, and the report counts them.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.core.sample import Sample
from assay.data.document import Document
from assay.data.errors import DataPipelineError
from assay.data.stats import StepStats
from assay.data.textutil import U64, WORD_RE, ngram_hashes, word_hashes

REPORT_FILE = "contamination.json"
PRESETS: dict[str, dict[str, Any]] = {
    "gpt3": {"mode": "ngram", "ngram": 13, "min_ngram": 8},
    "gpt4": {"mode": "substring", "substring_chars": 50, "substrings": 3},
}


def sample_text(sample: Sample, fields: tuple[str, ...]) -> str:
    """The text of a sample that is indexed: its input (chat messages joined), and optionally choices/target."""
    parts: list[str] = []
    if "input" in fields:
        if isinstance(sample.input, str):
            parts.append(sample.input)
        else:
            parts.extend(str(getattr(m, "content", m)) for m in sample.input)
    if "choices" in fields and sample.choices:
        parts.extend(sample.choices)
    if "target" in fields:
        parts.extend(sample.target if isinstance(sample.target, list) else [sample.target])
    return "\n".join(parts)


def _chars(text: str) -> tuple[U64, npt.NDArray[np.int64]]:
    """Lower-cased letters and digits as code points, with each one's offset in `text` (gpt4 preset)."""
    # lower-case char by char: str.lower() can change the length, and offsets must point into `text`
    keep = [(i, c.lower()[0]) for i, c in enumerate(text) if c.isalnum()]
    cps = np.fromiter((ord(c) for _, c in keep), dtype=np.uint64, count=len(keep))
    return cps, np.fromiter((i for i, _ in keep), dtype=np.int64, count=len(keep))


def _tokens(text: str) -> tuple[list[str], list[int], list[int]]:
    toks, starts, ends = [], [], []
    for m in WORD_RE.finditer(text):
        toks.append(m.group().lower())
        starts.append(m.start())
        ends.append(m.end())
    return toks, starts, ends


@dataclass
class ContaminationIndex:
    """N-gram (or substring) hashes of every sample of every task, grouped by length for lookup."""

    mode: str = "ngram"
    ngram: int = 13
    min_ngram: int = 8
    substring_chars: int = 50
    substrings: int = 3
    fields: tuple[str, ...] = ("input",)
    max_samples_per_ngram: int = 2
    boilerplate_ngrams: int = 0
    owners: list[tuple[str, str]] = field(default_factory=list)
    too_short: dict[str, list[str]] = field(default_factory=dict)
    n_samples: dict[str, int] = field(default_factory=dict)
    _keys: dict[int, tuple[U64, npt.NDArray[np.int64]]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, tasks: Mapping[str, list[Sample]], **config: Any) -> ContaminationIndex:
        """Index `tasks` (task name -> samples)."""
        idx = cls(**config)
        if idx.mode not in ("ngram", "substring"):
            raise DataPipelineError(f"unknown contamination mode {idx.mode!r}", fix="use ngram or substring")
        per_n: dict[int, tuple[list[U64], list[npt.NDArray[np.int64]]]] = {}
        for task, samples in tasks.items():
            idx.n_samples[task] = len(samples)
            for s in samples:
                for n, hashes in idx._sample_hashes(s):
                    if n == 0:
                        idx.too_short.setdefault(task, []).append(s.id)
                        continue
                    keys, own = per_n.setdefault(n, ([], []))
                    keys.append(hashes)
                    own.append(np.full(len(hashes), len(idx.owners), dtype=np.int64))
                idx.owners.append((task, s.id))
        for n, (keys, own) in per_n.items():
            k, o = np.concatenate(keys), np.concatenate(own)
            order = np.lexsort((o, k))
            k, o = k[order], o[order]
            # n-grams shared by many samples are the benchmark's template ("For which of these two
            # scenarios..."), not evidence about one sample: they would flag every sibling of a planted one
            counts = np.unique(k, return_counts=True)[1]
            common = counts > idx.max_samples_per_ngram
            idx.boilerplate_ngrams += int(common.sum())
            keep = ~np.repeat(common, counts)
            idx._keys[n] = (k[keep], o[keep])
        return idx

    def _sample_hashes(self, s: Sample) -> list[tuple[int, U64]]:
        text = sample_text(s, self.fields)
        if self.mode == "ngram":
            toks = _tokens(text)[0]
            if len(toks) < self.min_ngram:
                return [(0, np.empty(0, np.uint64))]
            n = min(self.ngram, len(toks))
            return [(n, np.unique(ngram_hashes(word_hashes(toks), n)))]
        cps, _ = _chars(text)
        if len(cps) == 0:
            return [(0, np.empty(0, np.uint64))]
        n = min(self.substring_chars, len(cps))
        rng = random.Random(hashlib.sha256(s.id.encode()).digest())
        starts = sorted({rng.randrange(len(cps) - n + 1) for _ in range(self.substrings)})
        return [(n, np.unique(np.concatenate([ngram_hashes(cps[i : i + n], n) for i in starts])))]

    def scan(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """Owner number -> merged character spans of `text` that match that sample."""
        if self.mode == "ngram":
            toks, starts, ends = _tokens(text)
            h = word_hashes(toks)
            s_arr, e_arr = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
        else:
            h, pos = _chars(text)
            s_arr, e_arr = pos, pos + 1
        found: dict[int, list[tuple[int, int]]] = {}
        for n, (keys, owners) in self._keys.items():
            g = ngram_hashes(h, n)
            if len(g) == 0:
                continue
            lo = np.searchsorted(keys, g, side="left")
            hi = np.searchsorted(keys, g, side="right")
            for i in np.flatnonzero(hi > lo):
                span = (int(s_arr[i]), int(e_arr[i + n - 1]))
                for o in np.unique(owners[lo[i] : hi[i]]):
                    found.setdefault(int(o), []).append(span)
        return {o: _merge(spans) for o, spans in found.items()}


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


@dataclass
class ContaminationScan:
    """Pipeline step: find benchmark overlaps in each document; `action` is `report` (pass documents
    through unchanged), `annotate` (also add `metadata["contamination"]`) or `drop` (remove them).
    At the end of the run it writes `contamination.json` next to the output."""

    tasks: dict[str, list[Sample]] = field(repr=False)
    name: str = "contamination"
    preset: str = "gpt3"
    ngram: int | None = None
    action: str = "report"
    fields: tuple[str, ...] = ("input",)
    tasks_digest: str = ""
    _index: ContaminationIndex | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise DataPipelineError(f"unknown contamination preset {self.preset!r}", fix="use gpt3 or gpt4")
        if self.action not in ("report", "annotate", "drop"):
            raise DataPipelineError(f"unknown action {self.action!r}", fix="use report, annotate or drop")
        ids = [(t, s.id, sample_text(s, self.fields)) for t, ss in sorted(self.tasks.items()) for s in ss]
        self.tasks_digest = hashlib.sha256(repr(ids).encode()).hexdigest()[:16]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_index"] = None  # rebuilt in each worker: cheaper than pickling numpy arrays per task
        return state

    @property
    def index(self) -> ContaminationIndex:
        """The n-gram index of the tasks, built on first use in each process."""
        if self._index is None:
            config = dict(PRESETS[self.preset])
            if self.ngram is not None:
                config["ngram"] = self.ngram
                config["min_ngram"] = min(config.get("min_ngram", self.ngram), self.ngram)
            self._index = ContaminationIndex.build(self.tasks, fields=self.fields, **config)
        return self._index

    def process(self, docs: Iterator[Document], stats: StepStats) -> Iterator[Document]:
        """Scan each document; record matches as findings for the report."""
        index = self.index
        for doc in docs:
            hits = index.scan(doc.text)
            if not hits:
                yield doc
                continue
            stats.count("contaminated_docs")
            found = []
            for o, spans in sorted(hits.items()):
                task, sid = index.owners[o]
                found.append({"task": task, "sample": sid, "spans": [[s, e, doc.text[s:e]] for s, e in spans]})
            stats.extra.append({"doc": doc.id, "matches": found})
            if self.action == "drop":
                stats.drop("contamination")
                continue
            if self.action == "annotate":
                doc.metadata["contamination"] = [{"task": f["task"], "sample": f["sample"]} for f in found]
            yield doc

    def report(self, findings: list[dict[str, Any]]) -> dict[str, Any]:
        """The JSON report: per task, the contaminated samples with every matching document and span."""
        index = self.index
        tasks: dict[str, Any] = {
            t: {"n_samples": n, "n_contaminated": 0, "too_short": index.too_short.get(t, []), "samples": {}}
            for t, n in index.n_samples.items()
        }
        for f in findings:
            for m in f["matches"]:
                entry = tasks[m["task"]]["samples"].setdefault(m["sample"], [])
                entry.append({"doc": f["doc"], "spans": m["spans"]})
        for t in tasks.values():
            t["n_contaminated"] = len(t["samples"])
        keys = ("mode", "ngram", "min_ngram", "substring_chars", "substrings", "max_samples_per_ngram")
        config = {k: getattr(index, k) for k in keys}
        config["boilerplate_ngrams"] = index.boilerplate_ngrams
        return {"preset": self.preset, "config": config, "fields": list(self.fields), "tasks": tasks}

    def finalize(self, stats: StepStats, out_dir: Path) -> None:
        """Write `contamination.json` from all shards' findings."""
        path = Path(out_dir) / REPORT_FILE
        path.write_text(json.dumps(self.report(stats.extra), indent=1, ensure_ascii=False))


def load_contamination_report(path: str | Path) -> dict[str, set[str]]:
    """Task name -> ids of its contaminated samples, from a `contamination.json` (or a directory holding one).

    This is what `assay run TASK --exclude-samples REPORT` removes.
    """
    p = Path(path)
    if p.is_dir():
        p = p / REPORT_FILE
    try:
        data = json.loads(p.read_text())
        return {task: set(info["samples"]) for task, info in data["tasks"].items()}
    except FileNotFoundError as e:
        raise DataPipelineError(
            "contamination report not found", where=str(p), fix="run `assay data contamination`"
        ) from e
    except (ValueError, KeyError, TypeError) as e:
        raise DataPipelineError(
            f"not a contamination report: {e}", where=str(p), fix="pass the contamination.json that assay wrote"
        ) from e
