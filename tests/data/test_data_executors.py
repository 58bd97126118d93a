"""Executors: resume after kill -9 skips finished shards with identical output; Ray equals local."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.data.data_fixtures import write_shards

from assay.data import FileReader, LocalExecutor, NearDedup, PiiScrubber, Pipeline

SCRIPT = """
import sys, time
from dataclasses import dataclass, field
from assay.data import FileReader, GopherQualityFilter, LocalExecutor, NearDedup, PiiScrubber, Pipeline
from assay.data.pipeline import MapStep

@dataclass
class Slow(MapStep):
    name: str = "slow"
    delay: float = 0.002
    log: str = field(default="", repr=False)  # not part of the fingerprint: differs between runs
    def apply_one(self, doc, stats):
        if doc.id.endswith(":1"):  # first line of each shard: note that the shard was computed
            open(self.log, "a").write(doc.id + "\\n")
        time.sleep(self.delay)
        return doc

inp, out, log = sys.argv[1:4]
steps = [GopherQualityFilter(min_words=20), Slow(log=log), PiiScrubber(), NearDedup()]
Pipeline(FileReader(inp), steps, out).run(LocalExecutor(workers=2))
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("part-*"))}


def test_kill_9_then_resume_skips_finished_shards(tmp_path: Path, passages: list[dict[str, str]]) -> None:
    docs = [{"text": p["text"]} for p in passages[:800]]
    write_shards(docs, tmp_path / "in", 8)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, str(script), str(tmp_path / "in")]
    markers = tmp_path / "out" / "_assay" / "markers"
    proc = subprocess.Popen([*cmd, str(tmp_path / "out"), str(tmp_path / "log1")], env=env, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(markers.glob("stage0-*.json"))) < 3:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its pool workers, mid-run
    proc.wait()
    done = sorted(m.name for m in markers.glob("stage0-*.json"))
    assert 3 <= len(done) < 8, done
    first = set((tmp_path / "log1").read_text().split())

    subprocess.run([*cmd, str(tmp_path / "out"), str(tmp_path / "log2")], env=env, check=True)
    redone = set((tmp_path / "log2").read_text().split())
    finished = {f"shard-{int(m[len('stage0-') : -len('.json')]):03d}:1" for m in done}
    assert not (redone & finished)  # finished shards were skipped
    assert redone | finished == {f"shard-{s:03d}:1" for s in range(8)} and finished <= first

    subprocess.run([*cmd, str(tmp_path / "clean"), str(tmp_path / "log3")], env=env, check=True)
    assert _files(tmp_path / "out") == _files(tmp_path / "clean")
    import json

    resumed = json.loads((tmp_path / "out" / "stats.json").read_text())
    clean = json.loads((tmp_path / "clean" / "stats.json").read_text())
    assert resumed["steps"] == clean["steps"] and resumed["shards_skipped"] >= len(done)


def test_rerun_of_finished_run_is_a_no_op(tmp_path: Path) -> None:
    write_shards([{"text": f"doc {i} text"} for i in range(20)], tmp_path / "in", 2)
    pipe = Pipeline(FileReader(tmp_path / "in"), [PiiScrubber()], tmp_path / "out")
    first = pipe.run(LocalExecutor(workers=1))
    again = pipe.run(LocalExecutor(workers=1))
    assert again.shards_skipped == 2 and again.steps[0].docs_out == first.steps[0].docs_out
    from assay.data import DataPipelineError

    with pytest.raises(DataPipelineError, match="different pipeline"):
        Pipeline(FileReader(tmp_path / "in"), [PiiScrubber(mode="drop")], tmp_path / "out").run()


def test_ray_executor_matches_local(tmp_path: Path, passages: list[dict[str, str]]) -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'assay[ray]')")
    from assay.data import RayExecutor

    docs = [{"text": p["text"]} for p in passages[:600]] + [{"text": p["text"]} for p in passages[:50]]
    write_shards(docs, tmp_path / "in", 4)

    def pipe(out: str) -> Pipeline:
        return Pipeline(FileReader(tmp_path / "in"), [PiiScrubber(), NearDedup()], tmp_path / out)

    local = pipe("local").run(LocalExecutor(workers=2))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = pipe("ray").run(RayExecutor(address=None))
    finally:
        ray.shutdown()
    assert _files(tmp_path / "local") == _files(tmp_path / "ray")
    assert [s.to_dict() for s in local.steps] == [s.to_dict() for s in on_ray.steps]
    assert local.step("near_dedup").counters["duplicates"] >= 50


def test_output_of_an_older_work_format_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assay.data.pipeline as pipeline_module
    from assay.data import DataPipelineError

    write_shards([{"text": f"doc {i} text"} for i in range(10)], tmp_path / "in", 2)
    pipe = Pipeline(FileReader(tmp_path / "in"), [PiiScrubber()], tmp_path / "out")
    pipe.run(LocalExecutor(workers=1))
    monkeypatch.setattr(pipeline_module, "WORK_FORMAT", pipeline_module.WORK_FORMAT + 1)
    with pytest.raises(DataPipelineError, match="different pipeline"):
        pipe.run(LocalExecutor(workers=1))
