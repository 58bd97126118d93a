"""The shared bench's 2000-question task as an assay task: the same prompt text as the
Inspect and lm-eval tasks in ../shared/bench, a generated letter scored by exact match."""

import os

from assay import Sample, Task, load_dataset, task
from assay.models.base import GenerateConfig
from assay.scorers import exact_match

LETTERS = "ABCD"
DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench", "mcq_2000.jsonl")


def prompt(question: str, choices: list[str]) -> str:
    return "\n".join([question] + [f"{LETTERS[i]}. {c}" for i, c in enumerate(choices)] + ["Answer:"])


@task
def mcq(data: str = DEFAULT_DATA) -> Task:
    samples = [
        Sample(id=s.id, input=prompt(str(s.input), s.choices or []), target=s.target)
        for s in load_dataset(data, fields={"input": "question", "target": "answer", "choices": "choices"})
    ]
    return Task(dataset=samples, scorer=exact_match(), config=GenerateConfig(max_tokens=8, temperature=0.0))
