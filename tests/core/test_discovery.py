from pathlib import Path

import pytest

from assay.core.discovery import list_tasks, resolve_task
from assay.core.task import Task
from assay.errors import ConfigError, TaskError

PY_TASKS = '''
from assay import Task, Sample, task
from assay.scorers import exact_match

@task
def addition(n: int = 3):
    """Add small numbers."""
    return Task(dataset=[Sample(input=f"{i}+{i}=", target=str(2 * i), id=f"add-{i}") for i in range(int(n))],
                scorer=exact_match())

@task(name="subtraction")
def sub():
    return Task(dataset=[Sample(input="3-1=", target="2")], scorer=exact_match())
'''


def test_python_file_tasks_by_name_with_arguments(tmp_path: Path) -> None:
    f = tmp_path / "my_tasks.py"
    f.write_text(PY_TASKS)
    t = resolve_task(f"{f}:addition", {"n": 5})
    assert isinstance(t, Task) and t.name == "addition" and len(t.samples()) == 5
    assert t.args == {"n": 5}
    assert resolve_task(f"{f}:subtraction").name == "subtraction"


def test_python_file_with_several_tasks_needs_a_name(tmp_path: Path) -> None:
    f = tmp_path / "my_tasks.py"
    f.write_text(PY_TASKS)
    with pytest.raises(TaskError, match="several tasks"):
        resolve_task(str(f))
    with pytest.raises(TaskError, match="did you mean addition"):
        resolve_task(f"{f}:additon")


def test_python_file_that_fails_to_import(tmp_path: Path) -> None:
    f = tmp_path / "broken.py"
    f.write_text("import not_a_module_anywhere\n")
    with pytest.raises(TaskError, match=r"importing .*broken.py failed: ModuleNotFoundError"):
        resolve_task(str(f))


def test_unknown_builtin_task_suggests_close_names() -> None:
    with pytest.raises(TaskError, match="did you mean mmlu"):
        resolve_task("mmluu")


def test_builtins_are_listed() -> None:
    assert "mmlu" in list_tasks()


def test_missing_task_file() -> None:
    with pytest.raises(TaskError, match="does not exist"):
        resolve_task("nowhere/tasks.py:x")


def test_yaml_task(tmp_path: Path) -> None:
    (tmp_path / "data.jsonl").write_text(
        '{"q": "Capital of France?", "a": "Paris", "region": "eu"}\n'
        '{"q": "Capital of Peru?", "a": "Lima", "region": "sa"}\n'
    )
    (tmp_path / "tasks.yaml").write_text(
        "name: capitals\n"
        "dataset: {path: data.jsonl, fields: {input: q, target: a}}\n"
        "template: 'Q: {{ input }}\\nA:'\n"
        "scorer: {name: includes, ignore_case: true}\n"
        "cluster_by: region\n"
        "config: {max_tokens: 5}\n"
    )
    t = resolve_task(str(tmp_path / "tasks.yaml"))
    samples = t.samples()
    assert t.name == "capitals" and [s.target for s in samples] == ["Paris", "Lima"]
    assert [s.cluster for s in samples] == ["eu", "sa"]
    assert t.config.max_tokens == 5


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("name: x\ndataset: [unclosed\nscorer: exact_match\n")
    with pytest.raises(ConfigError, match=r"bad.yaml, line \d"):
        resolve_task(str(f))


def test_yaml_unknown_key_and_unknown_scorer(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text("name: x\ndataset: d.jsonl\nscorer: exact_match\ntemprature: 1\n")
    with pytest.raises(ConfigError, match=r"unknown task key.*temprature"):
        resolve_task(str(f))
    f.write_text("name: x\ndataset: d.jsonl\nscorer: exact_matc\n")
    with pytest.raises(ConfigError, match="unknown scorer 'exact_matc'"):
        resolve_task(str(f))
