import json
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests
from tests.cli_helpers import run_cli
from tests.run_factory import make_run

from assay.core.compare import MetricView, compare_runs
from assay.core.run import read_run
from assay.errors import RunDirError


@pytest.fixture
def three_runs(tmp_path: Path) -> list[Path]:
    rng = np.random.default_rng(7)
    skill = 2 * rng.normal(size=300)  # shared question difficulty makes the runs correlated
    runs = []
    for model, shift in (("m-strong", 1.5), ("m-mid", 0.0), ("m-mid2", 0.0)):
        p = 1 / (1 + np.exp(-(skill + shift)))
        runs.append(make_run(tmp_path, model, {"accuracy": (rng.random(300) < p).astype(float).tolist()}))
    return runs


def test_paired_differences_match_scipy_and_statsmodels(three_runs: list[Path]) -> None:
    runs = [read_run(p) for p in three_runs]
    c = compare_runs(runs)
    scores = [np.array([r["scores"]["accuracy"] for r in run.records()]) for run in runs]
    raw = []
    for pair, (i, j) in zip(c.pairs, [(0, 1), (0, 2), (1, 2)], strict=True):
        n = len(scores[i])
        n10, n01 = np.sum((scores[i] == 1) & (scores[j] == 0)), np.sum((scores[i] == 0) & (scores[j] == 1))
        p10, p01 = (n10 + 1) / (n + 2), (n01 + 1) / (n + 2)  # Bonett-Price's z-test, by hand
        z = (p10 - p01) / np.sqrt((p10 + p01 - (p10 - p01) ** 2) / (n + 2))
        assert pair.result.difference.value == pytest.approx(np.mean(scores[i] - scores[j]))
        assert pair.result.pvalue == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-6)
        table = np.array(
            [
                [np.sum((scores[i] == 1) & (scores[j] == 1)), np.sum((scores[i] == 1) & (scores[j] == 0))],
                [np.sum((scores[i] == 0) & (scores[j] == 1)), np.sum((scores[i] == 0) & (scores[j] == 0))],
            ]
        )
        assert pair.mcnemar_pvalue == pytest.approx(sm_mcnemar(table, exact=True).pvalue)
        raw.append(2 * sps.norm.sf(abs(z)))
    holm = multipletests(raw, method="holm")[1]
    assert [p.adjusted_pvalue for p in c.pairs] == pytest.approx(list(holm))
    # the strong model differs from both mid models; the two mid models share a group
    groups = c.groups["accuracy"]
    assert groups["m-mid"] and set(groups["m-mid"]) & set(groups["m-mid2"])
    assert not set(groups["m-strong"]) & set(groups["m-mid"])


def test_clustered_pairing_matches_ols_cluster_se(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    clusters = [f"c{i // 10}" for i in range(200)]
    effect = np.repeat(rng.normal(size=20), 10)
    a = (rng.random(200) < 1 / (1 + np.exp(-effect - 0.5))).astype(float)
    b = (rng.random(200) < 1 / (1 + np.exp(-effect))).astype(float)
    ra = make_run(tmp_path, "a", {"accuracy": a.tolist()}, clusters=clusters)
    rb = make_run(tmp_path, "b", {"accuracy": b.tolist()}, clusters=clusters)
    c = compare_runs([read_run(ra), read_run(rb)])
    d = c.pairs[0].result.difference
    fit = sm.OLS(a - b, np.ones(200)).fit(cov_type="cluster", cov_kwds={"groups": np.repeat(np.arange(20), 10)})
    assert d.value == pytest.approx(fit.params[0])
    assert d.se == pytest.approx(fit.bse[0], rel=1e-6)
    assert d.n_clusters == 20
    assert c.pairs[0].mcnemar_pvalue is None  # McNemar assumes independent pairs


def test_refuses_different_tasks_and_datasets(tmp_path: Path) -> None:
    a = make_run(tmp_path, "a", {"accuracy": [1.0, 0.0]}, task="t1")
    b = make_run(tmp_path, "b", {"accuracy": [1.0, 1.0]}, task="t2")
    c = make_run(tmp_path, "c", {"accuracy": [1.0, 1.0]}, task="t1", dataset_hash="other")
    with pytest.raises(RunDirError, match="different tasks"):
        compare_runs([read_run(a), read_run(b)])
    with pytest.raises(RunDirError, match="different datasets"):
        compare_runs([read_run(a), read_run(c)])


def test_warns_with_counts_when_sample_sets_differ(tmp_path: Path) -> None:
    a = make_run(tmp_path, "a", {"accuracy": [1.0, 0.0, 1.0, 1.0]})
    b = make_run(tmp_path, "b", {"accuracy": [1.0, 1.0, 0.0]})
    with pytest.warns(UserWarning, match=r"a: 4, b: 3.*3 records"):
        c = compare_runs([read_run(a), read_run(b)])
    assert c.pairs[0].n_pairs == 3


def test_epochs_are_clustered_by_sample(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    a = rng.random(120).round().tolist()
    b = rng.random(120).round().tolist()
    ra = make_run(tmp_path, "a", {"accuracy": a}, epochs=3)
    rb = make_run(tmp_path, "b", {"accuracy": b}, epochs=3)
    d = compare_runs([read_run(ra), read_run(rb)]).pairs[0].result.difference
    assert d.n == 120 and d.n_clusters == 40


def test_cli_formats(three_runs: list[Path]) -> None:
    dirs = [str(p) for p in three_runs]
    table = run_cli("compare", *dirs)
    assert table.returncode == 0, table.stderr
    assert "m-strong - m-mid" in table.stdout and "holm" in table.stdout
    md = run_cli("compare", *dirs, "--format", "markdown").stdout
    assert md.startswith("| metric | model |")
    tex = run_cli("compare", *dirs, "--format", "latex").stdout
    assert r"\begin{tabular}" in tex and r"\bottomrule" in tex
    doc = json.loads(run_cli("compare", *dirs, "--format", "json", "--adjust", "bonferroni").stdout)
    assert doc["adjust"] == "bonferroni" and len(doc["pairs"]) == 3
    assert all(p["adjusted_pvalue"] == pytest.approx(min(1.0, 3 * p["pvalue"])) for p in doc["pairs"])


def test_cli_refusal_is_a_clean_error(tmp_path: Path) -> None:
    a = make_run(tmp_path, "a", {"accuracy": [1.0, 0.0]}, task="t1")
    b = make_run(tmp_path, "b", {"accuracy": [1.0, 1.0]}, task="t2")
    r = run_cli("compare", str(a), str(b))
    assert r.returncode == 2 and "different tasks" in r.stderr and "Traceback" not in r.stderr


def test_metric_views_select_records_and_cluster_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    a, b = (rng.random(120) < 0.7).astype(float), (rng.random(120) < 0.5).astype(float)
    topics = [f"t{i % 6}" for i in range(120)]
    ra = make_run(tmp_path, "a", {"accuracy": a.tolist()}, clusters=topics)
    rb = make_run(tmp_path, "b", {"accuracy": b.tolist()}, clusters=topics)
    even = MetricView("accuracy", "even questions", lambda r: int(r["sample_id"][1:]) % 2 == 0)
    unclustered = MetricView("accuracy", "every question, unclustered", cluster=lambda r: r["sample_id"])
    c = compare_runs([read_run(ra), read_run(rb)], metrics=[even, unclustered])
    by_name = {p.metric: p for p in c.pairs}
    picked = by_name["even questions"]
    assert picked.n_pairs == 60 and picked.result.difference.value == pytest.approx(np.mean(a[::2] - b[::2]))
    assert picked.result.difference.n_clusters == 3  # even ids fall in topics t0, t2, t4
    assert set(c.estimates) == {"even questions", "every question, unclustered"}
    whole = by_name["every question, unclustered"].result.difference
    assert whole.n_clusters is None and whole.method == "bonett_price"  # one sample per cluster: not clustered
    assert [p.adjusted_pvalue for p in c.pairs] == pytest.approx(
        list(multipletests([p.result.pvalue for p in c.pairs], method="holm")[1])
    )  # adjusted across the views together
