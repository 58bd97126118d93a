"""An interrupted suite resumes from its manifest: finished runs are kept, the interrupted run continues in
place, the runs it never started are started, no finished sample is asked again, and one report is written."""

import json
import signal
import subprocess
from pathlib import Path

import duckdb
from tests.cli_helpers import ASSAY, records, run_cli, run_dirs, wait_for_records
from tests.servers.faulty_openai import FaultyOpenAIServer


def test_ctrl_c_in_a_suite_then_resume_the_whole_suite(tmp_path: Path) -> None:
    log_dir = tmp_path / "runs"
    with FaultyOpenAIServer(latency_ms=40) as server:
        args = ["run", "safety", "--model", "openai/t", "--base-url", server.url, "--limit", "30", "--no-cache"]
        proc = subprocess.Popen(
            [*ASSAY, *args, "--max-connections", "2", "-q", "--log-dir", str(log_dir)],
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for_records(log_dir, 5)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        (manifest,) = log_dir.glob("safety-suite-*.json")
        assert f"assay run --resume {manifest}" in stderr and "Traceback" not in stderr
        saved = sum(len(records(d)) for d in run_dirs(log_dir))
        assert 5 <= saved < 90 and not list(log_dir.glob("*.md"))
        assert json.loads(manifest.read_text())["status"] == "interrupted"
        shown = run_cli("show", str(manifest)).stdout
        assert f"suite safety: interrupted   finish with: assay run --resume {manifest}" in shown
        server.reset()

        resumed = run_cli("run", "--resume", str(manifest), "-q")
        assert resumed.returncode == 0, resumed.stderr
        asked_again = server.stats()["requests"]

    dirs = run_dirs(log_dir)
    assert sorted(json.loads((d / "spec.json").read_text())["task"]["name"] for d in dirs) == [
        "harmful",
        "jailbreak",
        "xstest",
    ]  # one run per task: the interrupted one continued in place, none started twice
    for d in dirs:
        ids = [r["sample_id"] for r in records(d)]
        assert len(ids) == 30 == len(set(ids))
        assert json.loads((d / "spec.json").read_text())["status"] == "complete"
    assert asked_again == 90 - saved  # only what was not saved is asked for
    state = json.loads(manifest.read_text())
    assert state["status"] == "complete" and sorted(state["runs"]) == sorted(d.name for d in dirs)
    (report,) = log_dir.glob("safety-report-*.md")
    assert state["report"] == report.name and f"suite report: {report}" in resumed.stdout
    assert "## xstest" in report.read_text() and "## jailbreak" in report.read_text()

    shown = run_cli("show", str(manifest)).stdout
    assert f"suite safety: complete   report: {report}" in shown and shown.count("status: complete") == 3
    again = run_cli("run", "--resume", str(manifest), "-q")  # a finished suite: nothing is run again
    assert again.returncode == 0 and len(run_dirs(log_dir)) == 3


def test_resume_refuses_a_file_that_is_not_a_suite_manifest(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.json"
    bogus.write_text('{"hello": 1}')
    r = run_cli("run", "--resume", str(bogus))
    assert r.returncode == 2 and "is not a suite manifest" in r.stderr and "Traceback" not in r.stderr


def test_a_suite_on_two_models_compares_them_sample_by_sample(tmp_path: Path) -> None:
    with FaultyOpenAIServer() as server:  # answers by prompt, so both "models" agree on every prompt
        common = ["--base-url", server.url, "--limit", "24", "-q", "--log-dir", str(tmp_path)]
        done = run_cli("run", "safety", "--model", "openai/a", "--model", "openai/b", *common)
    assert done.returncode == 0, done.stderr
    (manifest,) = tmp_path.glob("safety-suite-*.json")
    comparisons = json.loads(manifest.read_text())["comparisons"]
    assert set(comparisons) == {"xstest", "harmful", "jailbreak"}
    over = next(p for p in comparisons["xstest"]["models"]["pairs"] if p["metric"] == "over-refusal (safe prompts)")
    d = over["difference"]
    assert (over["a"], over["b"], d["value"]) == ("openai/a", "openai/b", 0.0)
    assert d["ci_low"] < 0 < d["ci_high"]  # agreeing on every prompt is not proof of equal rates
    text = next(tmp_path.glob("safety-report-*.md")).read_text()
    assert "## Model comparisons (paired, sample by sample)" in text and "| over-refusal (safe prompts) |" in text


def test_resume_refuses_options_that_would_change_the_run(tmp_path: Path) -> None:
    r = run_cli("run", "--resume", str(tmp_path), "--limit", "5", "--temperature", "0.5")
    assert r.returncode == 2 and "--limit, --temperature cannot change it" in r.stderr


def test_the_python_api_runs_and_resumes_a_suite(tmp_path: Path) -> None:
    import assay

    with FaultyOpenAIServer() as server:
        result = assay.run_suite(
            "safety", "openai/t", base_url=server.url, limit=12, log_dir=tmp_path, cache_path=tmp_path / "c.sqlite"
        )
        assert [r.task for r in result.runs] == ["xstest", "harmful", "jailbreak"]
        asked = server.stats()["requests"]
        again = assay.resume_suite(result.manifest, cache_path=tmp_path / "c.sqlite")
        assert server.stats()["requests"] == asked  # a finished suite asks for nothing
    assert again.report == result.report and result.report.read_text().startswith("# assay safety suite report")
    assert [r.path for r in again.runs] == [r.path for r in result.runs]
    exported = run_cli("export", str(result.manifest))
    assert exported.returncode == 0 and len(exported.stdout.split()) == 3  # one Parquet file per run
    rows = duckdb.sql(
        f"SELECT task, model, count(*) FROM read_parquet('{tmp_path}/*/samples.parquet', union_by_name=true) "
        "GROUP BY ALL ORDER BY task"
    ).fetchall()
    assert rows == [("harmful", "openai/t", 12), ("jailbreak", "openai/t", 12), ("xstest", "openai/t", 12)]


def test_two_models_and_a_small_limit_still_write_the_report(tmp_path: Path) -> None:
    # at --limit 10 jailbreak runs one prompt: its unattacked comparison has one record, too few to compare
    with FaultyOpenAIServer() as server:
        common = ["--base-url", server.url, "--limit", "10", "-q", "--log-dir", str(tmp_path)]
        done = run_cli("run", "safety", "--model", "openai/a", "--model", "openai/a", *common)
    assert done.returncode == 0, done.stderr
    assert len(run_dirs(tmp_path)) == 6  # a model named twice runs twice
    text = next(tmp_path.glob("safety-report-*.md")).read_text()
    assert "- complied, unattacked: not compared, the runs share 1 scored record(s) and it needs 2" in text
    assert "| over-refusal (safe prompts) | openai/a (" in text  # the two runs told apart by directory


def test_resume_may_change_connection_settings_only(tmp_path: Path) -> None:
    with FaultyOpenAIServer() as server:
        args = ["run", "xstest", "--model", "openai/a", "--base-url", server.url, "--limit", "6", "-q"]
        assert run_cli(*args, "--log-dir", str(tmp_path)).returncode == 0
        (run_dir,) = run_dirs(tmp_path)
        refused = run_cli("run", "--resume", str(run_dir), "--seed", "3")
        assert refused.returncode == 2 and "--seed cannot change it" in refused.stderr
        bad = run_cli("run", "--resume", str(run_dir), "--max-connections", "0")
        assert bad.returncode == 2 and "--max-connections=0 is not an integer >= 1" in bad.stderr
        resumed = run_cli("run", "--resume", str(run_dir), "--max-connections", "2", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((run_dir / "spec.json").read_text())["run"]["max_connections"] == 2


def test_a_bad_model_is_refused_before_the_suite_writes_anything(tmp_path: Path) -> None:
    r = run_cli("run", "safety", "--model", "openai/a", "--model-arg", "nope=1", "--log-dir", str(tmp_path))
    assert r.returncode == 2 and "unknown model argument 'nope'" in r.stderr and "--resume" not in r.stderr
    r = run_cli("run", "safety", "--model", "hf/smollm2", "--model-arg", "dtype=float8", "--log-dir", str(tmp_path))
    assert r.returncode == 2 and "dtype" in r.stderr
    assert not tmp_path.exists() or not list(tmp_path.iterdir())


def test_compare_two_suites_run_separately(tmp_path: Path) -> None:
    with FaultyOpenAIServer() as server:
        for model in ("openai/a", "openai/b"):
            args = ["run", "safety", "--model", model, "--base-url", server.url, "--limit", "24", "-q"]
            assert run_cli(*args, "--log-dir", str(tmp_path / model[-1])).returncode == 0
    (a,), (b,) = (tmp_path / "a").glob("*.json"), (tmp_path / "b").glob("*.json")
    shown = run_cli("compare", str(a), str(b))
    assert shown.returncode == 0, shown.stderr
    assert "### xstest" in shown.stdout and "| over-refusal (safe prompts) | openai/a - openai/b |" in shown.stdout
    as_json = json.loads(run_cli("compare", str(a), str(b), "--format", "json", "--adjust", "bh").stdout)
    assert set(as_json) == {"xstest", "harmful", "jailbreak"} and as_json["xstest"]["models"]["adjust"] == "bh"
    assert run_cli("compare", str(a), str(b), "--metric", "refused").returncode == 2  # suites: headlines only
    assert "given twice" in run_cli("compare", str(a), str(a)).stderr
    assert "unknown format 'latex' for suites" in run_cli("compare", str(a), str(b), "--format", "latex").stderr
    state = json.loads(b.read_text())
    b.write_text(json.dumps({**state, "limit": 12}))
    assert "differ in --limit (24 vs 12): their samples do not pair" in run_cli("compare", str(a), str(b)).stderr
    b.write_text(json.dumps({**state, "sampling": {"temperature": 0.7}}))
    assert "differ in sampling: {} vs {'temperature': 0.7}" in run_cli("compare", str(a), str(b)).stdout
    state = json.loads(b.read_text())
    b.write_text(json.dumps({**state, "status": "interrupted"}))
    unfinished = run_cli("compare", str(a), str(b))
    assert unfinished.returncode == 2 and f"finish it first: assay run --resume {b}" in unfinished.stderr
