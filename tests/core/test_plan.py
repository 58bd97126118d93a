from pathlib import Path

import numpy as np
import pytest
from tests.cli_helpers import run_cli
from tests.run_factory import make_run

from assay.core.plan import inputs_from_runs
from assay.core.run import read_run
from assay.stats import sample_size


def test_cli_reproduces_millers_worked_example() -> None:
    # Var(a - b) = 2 sd^2 (1 - rho) = 1/9 with sd = 1/3 and rho = 0.5: Miller (2024) needs 969 questions
    r = run_cli("plan", "--delta", "0.03", "--sd", str(1 / 3), "--paired-rho", "0.5")
    assert r.returncode == 0, r.stderr
    assert "questions needed to detect a difference of 0.03: 969" in r.stdout


def test_cli_baseline_and_minimum_detectable_effect() -> None:
    n_line = run_cli("plan", "--delta", "0.05", "--baseline", "0.7").stdout
    assert f": {sample_size(0.05, p=0.7)}" in n_line
    mde = run_cli("plan", "--n", "969", "--sd", str(1 / 3), "--paired-rho", "0.5").stdout
    assert "0.0300" in mde


def test_cli_needs_one_of_delta_and_n() -> None:
    r = run_cli("plan", "--baseline", "0.7")
    assert r.returncode == 2 and "exactly one of --delta" in r.stderr


def test_inputs_from_two_runs(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    base = rng.random(400)
    a = (base < 0.7).astype(float)
    b = np.where(rng.random(400) < 0.8, a, 1 - a)  # agrees with a 80% of the time
    clusters = [f"c{i // 8}" for i in range(400)]
    ra = make_run(tmp_path, "a", {"accuracy": a.tolist()}, clusters=clusters)
    rb = make_run(tmp_path, "b", {"accuracy": b.tolist()}, clusters=clusters)
    got = inputs_from_runs([read_run(ra), read_run(rb)])
    assert got.n == 400 and got.n_clusters == 50
    assert got.sd == pytest.approx(np.std(a, ddof=1))
    assert got.sd_diff == pytest.approx(np.std(a - b, ddof=1))
    assert got.correlation == pytest.approx(np.corrcoef(a, b)[0, 1])
    r = run_cli("plan", "--delta", "0.05", "--from-run", str(ra), "--from-run", str(rb))
    assert r.returncode == 0, r.stderr
    expected = sample_size(0.05, sd_diff=got.sd_diff, design_effect=got.design_effect)
    assert f": {expected}" in r.stdout and "50 clusters" in r.stdout


def test_two_runs_that_always_agree_say_what_to_do(tmp_path: Path) -> None:
    scores = {"accuracy": [1.0, 0.0, 1.0, 1.0] * 10}
    ra, rb = make_run(tmp_path, "a", scores), make_run(tmp_path, "b", scores)
    r = run_cli("plan", "--delta", "0.05", "--from-run", str(ra), "--from-run", str(rb))
    assert r.returncode == 2 and "no variance to plan from" in r.stderr and "--paired-rho" in r.stderr
