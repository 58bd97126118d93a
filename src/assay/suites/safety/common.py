"""Helpers shared by the safety and alignment suites: per-sample values from run records, rates with
intervals, judge arguments, and the task shape of the safety tasks (a prompt sent as it is).

Analyses receive the run's records (one per sample, epoch and variant). Every rate here is taken over
samples (a sample's epochs are averaged first, as in `results.json`), clean variant only, so an analysis
number and the matching `results.json` metric agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.core.sample import Sample
    from assay.core.task import Task
    from assay.scorers.base import Scorer

__all__ = ["group_rates", "judge_kwargs", "paired_binary", "prompt_task", "rate", "sample_rows"]


def sample_rows(records: Iterable[dict[str, Any]], metrics: Sequence[str]) -> list[dict[str, Any]]:
    """One row per sample (clean variant): its metadata, cluster, answer and each metric averaged over epochs.

    A metric that is missing (None) in every epoch stays None: the sample is left out of that rate.
    """
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if r.get("variant", "") == "":
            by_id[r["sample_id"]].append(r)
    rows = []
    for sid, recs in by_id.items():
        first = recs[0]
        row: dict[str, Any] = {
            "id": sid,
            "cluster": first.get("cluster"),
            "metadata": first.get("metadata") or {},
            "answer": first.get("answer"),
            "score_metadata": first.get("score_metadata") or {},
        }
        for m in metrics:
            values = [float(v) for r in recs if (v := (r.get("scores") or {}).get(m)) is not None]
            row[m] = sum(values) / len(values) if values else None
        rows.append(row)
    return rows


def rate(values: Sequence[float | None], clusters: Sequence[Any] | None = None) -> dict[str, Any] | None:
    """Mean of the non-missing values as an `Estimate` dict (clustered when several clusters are given).

    Returns None when no value is present (an empty group has no rate, not a rate of 0).
    """
    from assay.stats import mean_estimate

    keep = [i for i, v in enumerate(values) if v is not None]
    if not keep:
        return None
    x = [float(values[i]) for i in keep]  # type: ignore[arg-type]
    if clusters is not None:
        c = [str(clusters[i]) for i in keep]
        if len(set(c)) > 1:
            return mean_estimate(x, clusters=c).to_dict()
    return mean_estimate(x).to_dict()


def group_rates(
    rows: Sequence[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], str], metrics: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per group (by `key(row)`): n and each metric's rate with its interval (independent samples)."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {
        g: {"n": len(members), **{m: rate([r[m] for r in members]) for m in metrics}}
        for g, members in sorted(groups.items())
    }


def paired_binary(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """McNemar's exact test and the paired difference (b - a) of two 0/1 outcomes on the same units."""
    from assay.stats import mcnemar, paired_difference

    test = mcnemar(a, b)
    out: dict[str, Any] = {
        "n_pairs": len(a),
        "mcnemar_pvalue": test.pvalue,
        "a1_b0": test.n10,
        "a0_b1": test.n01,
    }
    if len(a) >= 2:
        out["difference"] = paired_difference(b, a).difference.to_dict()
    return out


def judge_kwargs(judge_base_url: str | None, judge_max_tokens: int | str | None) -> dict[str, Any]:
    """Task arguments for a judge (strings from `-T key=value`) to `judge_args` / `judge_config`."""
    from assay.models.base import GenerateConfig

    args: dict[str, Any] = {"judge_args": {"base_url": judge_base_url} if judge_base_url else None}
    if judge_max_tokens is not None:
        args["judge_config"] = GenerateConfig(max_tokens=int(judge_max_tokens), temperature=0.0)
    return args


def prompt_task(
    dataset: Callable[[], Sequence[Sample]],
    scorer: Scorer,
    analysis: Callable[[list[dict[str, Any]], dict[str, Any]], dict[str, Any]],
    *,
    max_tokens: int,
    system: str | None = None,
    cluster_by: str | None = None,
) -> Task:
    """A task that sends each sample's input as the user turn (greedy, at most `max_tokens`).

    `analysis(records, scorer_spec)` gets the scorer's spec as well, to report what classified the responses.
    """
    from assay.core.task import Task
    from assay.core.template import Template
    from assay.models.base import GenerateConfig

    spec = scorer.spec()
    return Task(
        dataset=dataset,
        template=Template("{{ input }}", system=system, chat=True),
        scorer=scorer,
        cluster_by=cluster_by,
        config=GenerateConfig(max_tokens=int(max_tokens), temperature=0.0),
        analysis=lambda records: analysis(records, spec),
    )
