"""The terminal table `assay run` and `assay show` print."""

from pathlib import Path

from tests.run_factory import make_run

from assay.core.run import Run
from assay.report.tables import run_table


def test_a_warning_shared_by_several_metrics_is_printed_once(tmp_path: Path) -> None:
    clusters = [f"c{i % 5}" for i in range(40)]  # 5 clusters: too few for a trustworthy clustered SE
    scores = {"refused": [float(i % 3 == 0) for i in range(40)], "complied": [float(i % 3 != 0) for i in range(40)]}
    text = run_table(Run(make_run(tmp_path, "m", scores, clusters=clusters)))
    warnings = [line for line in text.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning (refused, complied): only 5 clusters")


def test_a_metric_that_could_not_be_estimated_is_said_so(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "m", {"acc": [1.0, 0.0]}, epochs=2)  # one sample, its two epochs disagree
    text = run_table(Run(run_dir))
    assert "not estimated (acc): one sample, whose epochs disagree" in text
