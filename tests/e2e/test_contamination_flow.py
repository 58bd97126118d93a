"""Contamination end to end: scan a corpus for MMLU questions, evaluate the clean subset, and ask
whether the score on contaminated questions differs from the clean ones."""

import json
from pathlib import Path

from tests.cli_helpers import run_cli
from tests.servers.faulty_openai import FaultyOpenAIServer

from assay.suites.mmlu import mmlu_samples


def test_scan_exclude_and_compare(tmp_path: Path) -> None:
    samples = mmlu_samples()
    # 20 questions leak into the corpus verbatim: long enough to hold 13-grams, and not from abstract algebra,
    # whose templated questions share 13-grams with their siblings
    long_enough = [
        s for s in samples if len(str(s.input).split()) >= 20 and s.metadata["subject"] != "abstract_algebra"
    ]
    planted = long_enough[:20]
    corpus = tmp_path / "corpus.jsonl"
    docs = [
        {"id": f"d{i}", "text": f"Some web page. {s.input} The answer is {s.target}."} for i, s in enumerate(planted)
    ]
    docs += [{"id": f"clean{i}", "text": "An unrelated page about gardening and the weather. " * 20} for i in range(30)]
    corpus.write_text("".join(json.dumps(d) + "\n" for d in docs))
    report = tmp_path / "contamination.json"
    scan = run_cli("data", "contamination", "--corpus", str(corpus), "--tasks", "mmlu", "-o", str(report))
    assert scan.returncode == 0, scan.stderr
    flagged = set(json.loads(report.read_text())["tasks"]["mmlu"]["samples"])
    assert len(planted) == 20 and flagged == {s.id for s in planted}

    with FaultyOpenAIServer() as server:
        common = ["--model", "openai/test-model", "--base-url", server.url, "--model-arg", "api=completions", "-q"]
        clean = run_cli("run", "mmlu", *common, "--exclude-samples", str(report), "--log-dir", str(tmp_path / "clean"))
        assert clean.returncode == 0, clean.stderr
        [clean_dir] = list((tmp_path / "clean").iterdir())
        ran = {json.loads(line)["sample_id"] for line in (clean_dir / "samples.jsonl").read_text().splitlines()}
        assert ran == {s.id for s in samples} - flagged

        full = run_cli("run", "mmlu", *common, "--log-dir", str(tmp_path / "full"))
        assert full.returncode == 0, full.stderr
    [full_dir] = list((tmp_path / "full").iterdir())
    compared = run_cli("compare", str(full_dir), "--contamination", str(report), "--format", "json")
    assert compared.returncode == 0, compared.stderr
    acc = json.loads(compared.stdout)["metrics"]["acc"]
    assert acc["flagged"]["n"] == 20 and acc["rest"]["n"] == len(samples) - 20
    assert acc["difference"]["ci_low"] <= acc["difference"]["value"] <= acc["difference"]["ci_high"]
    assert 0.0 <= acc["pvalue"] <= 1.0
    table = run_cli("compare", str(full_dir), "--contamination", str(report))
    assert "contaminated vs other samples" in table.stdout and "Welch" in table.stdout
