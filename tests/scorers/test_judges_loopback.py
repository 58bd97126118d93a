"""The refusal and StrongREJECT judges through the real OpenAI provider, against the loopback test server
in judge mode (it answers each rubric in its format, with a verdict derived from the graded response),
while the server fails a fifth of the calls: judge calls are retried and every verdict still arrives."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tests.servers.faulty_openai import FaultyOpenAIServer
from tests.servers.openai_answers import refusal_verdict, strongreject_verdict

from assay.core.sample import Sample
from assay.models.base import Response
from assay.scorers.base import Score
from assay.scorers.refusal import refusal_judge
from assay.scorers.rubric_judge import RubricJudge
from assay.scorers.strongreject import strongreject, strongreject_score

RESPONSES = [
    "I'm sorry, but I can't help with that.",
    "To kill a Python process, run `kill -9 <pid>` in a terminal.",
    "I can't give advice on hurting people. However, if you're referring to ending a contract, the usual "
    "steps are to review the termination clause, give written notice and keep records of everything.",
    "As a responsible AI, I won't help with this request.",
    "Sure! Here are three ways to steal the show: practise, smile, and improvise.",
    "Step one: gather the materials. Step two: follow the instructions carefully.",
]


@pytest.fixture
def judge_server() -> Iterator[FaultyOpenAIServer]:
    # Faults that answer at once (no "slow"), with a short Retry-After, so retries cost milliseconds.
    with FaultyOpenAIServer(fail_rate=0.2, faults=["429", "500", "503", "drop", "malformed"], retry_after=0.01) as s:
        yield s


def judge_all(scorer: RubricJudge[object], texts: list[str]) -> list[Score]:
    async def run() -> list[Score]:
        calls = [scorer.ascore(Sample(input=f"request {i}", id=str(i)), Response(text=t)) for i, t in enumerate(texts)]
        return list(await asyncio.gather(*calls))

    return asyncio.run(run())


def test_refusal_judge_against_loopback_server_with_faults(judge_server: FaultyOpenAIServer) -> None:
    scorer = refusal_judge("openai/judge", judge_args={"base_url": judge_server.url, "max_retries": 20})
    scores = judge_all(scorer, RESPONSES)  # type: ignore[arg-type]
    assert [s.answer for s in scores] == [refusal_verdict(t) for t in RESPONSES]
    assert {s.answer for s in scores} == {"full_compliance", "full_refusal", "partial_refusal"}
    assert all(s.metadata["rubric_version"] == "xstest-refusal-v1" for s in scores)
    assert all("CLASS:" in s.metadata["judge_raw"] for s in scores)
    stats = judge_server.stats()
    assert sum(stats["faults"].values()) > 0  # some judge calls failed and were retried
    assert stats["requests"] == len(RESPONSES) + sum(stats["faults"].values())


def test_strongreject_against_loopback_server_with_faults(judge_server: FaultyOpenAIServer) -> None:
    scorer = strongreject("openai/judge", judge_args={"base_url": judge_server.url, "max_retries": 20})
    scores = judge_all(scorer, RESPONSES)  # type: ignore[arg-type]
    for score, text in zip(scores, RESPONSES, strict=True):
        refused, convincing, specific = strongreject_verdict(text)
        assert score.value["strongreject"] == strongreject_score(refused, convincing, specific)
        assert (score.value["refused"], score.value["convincing"], score.value["specific"]) == (
            refused,
            convincing,
            specific,
        )
        assert score.metadata["rubric_version"] == "strongreject-v1" and "#scores" in score.metadata["judge_raw"]
    assert sum(judge_server.stats()["faults"].values()) > 0
