"""Prompt templates: rendering, few-shot selection, chat form, log-likelihood form, errors."""

from __future__ import annotations

import json

import pytest

from assay.core.sample import Sample
from assay.core.template import Template, continuation_texts, multiple_choice_template
from assay.errors import ConfigError


def mc(i: int, target: str = "B") -> Sample:
    return Sample(
        input=f"Question {i}?", choices=[f"a{i}", f"b{i}", f"c{i}", f"d{i}"], target=target, id=f"q{i}",
        metadata={"subject": "anatomy"},
    )  # fmt: skip


POOL = [mc(i, "ABCD"[i % 4]) for i in range(20)]


def test_default_template_is_the_input() -> None:
    assert Template().render(Sample(input="hello")) == "hello"
    assert Template.coerce(None).prompt == "{{ input }}"
    assert Template.coerce("Q: {{ input }}").render(Sample(input="x")) == "Q: x"
    t = Template()
    assert Template.coerce(t) is t
    with pytest.raises(ConfigError, match="string or a Template"):
        Template.coerce(3)  # type: ignore[arg-type]


def test_multiple_choice_prompt_and_variables() -> None:
    t = multiple_choice_template()
    assert t.render(mc(1)) == "Question 1?\nA. a1\nB. b1\nC. c1\nD. d1\nAnswer:"
    custom = Template(
        "[{{ subject }}] {{ input }} {{ labels|join('/') }} {{ choices[0] }} {{ metadata.subject }} {{ target }}"
    )
    assert custom.render(mc(1)) == "[anatomy] Question 1? A/B/C/D a1 anatomy B"


def test_custom_choice_format_and_labels() -> None:
    t = Template("{{ input }}\n{{ formatted_choices }}", choice_labels="1234", choice_format="({label}) {choice}")
    assert t.render(mc(2)) == "Question 2?\n(1) a2\n(2) b2\n(3) c2\n(4) d2"
    with pytest.raises(ConfigError, match="only 4 choice labels"):
        t.render(Sample(input="q", choices=list("abcde"), target="A"))


def test_fewshot_is_deterministic_per_seed_and_excludes_the_sample() -> None:
    t1 = multiple_choice_template(fewshot=3, fewshot_samples=POOL, fewshot_seed=1)
    again = multiple_choice_template(fewshot=3, fewshot_samples=POOL, fewshot_seed=1)
    other = multiple_choice_template(fewshot=3, fewshot_samples=POOL, fewshot_seed=2)
    sample = mc(100)
    assert t1.render(sample) == again.render(sample)
    assert t1.render(sample) != other.render(sample)
    shots = t1.fewshot_examples(sample)
    assert len(shots) == 3
    # The sample itself is never its own example; the others keep the seeded order.
    order = [s.id for s in t1.fewshot_examples(mc(1000))] + [s.id for s in t1._pool[3:5]]
    for shot in shots:
        assert sample.id != shot.id
        got = [s.id for s in t1.fewshot_examples(shot)]
        assert shot.id not in got and got == [i for i in order if i != shot.id][:3]


def test_fewshot_text_layout() -> None:
    t = multiple_choice_template(fewshot=2, fewshot_samples=POOL, fewshot_seed=0)
    sample = mc(100)
    a, b = t.fewshot_examples(sample)
    text = t.render(sample)
    assert isinstance(text, str)
    blocks = text.split("\n\n")
    options = "".join(f"{label}. {c}\n" for label, c in zip("ABCD", a.choices or [], strict=True))
    assert blocks[0] == f"{a.input}\n{options}Answer: {'ABCD'[a.target_index()]}"
    assert blocks[1].endswith("Answer: " + "ABCD"[b.target_index()])
    assert blocks[2] == "Question 100?\nA. a100\nB. b100\nC. c100\nD. d100\nAnswer:"


def test_fewshot_with_free_text_targets_and_description() -> None:
    pool = [Sample(input="1+1", target="2", id="a"), Sample(input="2+2", target="4", id="b")]
    t = Template("Q: {{ input }}\nA:", fewshot=1, fewshot_samples=pool, description="Arithmetic.\n\n")
    text = t.render(Sample(input="3+3", target="6", id="c"))
    assert text.startswith("Arithmetic.\n\nQ: ")
    assert text.endswith("\n\nQ: 3+3\nA:")
    assert text.count("Arithmetic.") == 1


def test_fewshot_needs_enough_samples() -> None:
    with pytest.raises(ConfigError, match="only 1 few-shot samples"):
        Template(fewshot=2, fewshot_samples=POOL[:1])
    with pytest.raises(ConfigError, match="only 0 few-shot samples"):
        Template(fewshot=1)


def test_chat_rendering_with_system_and_fewshot() -> None:
    t = multiple_choice_template(system="You are an expert in {{ subject }}.", fewshot=2, fewshot_samples=POOL)
    messages = t.render(mc(100))
    assert isinstance(messages, list)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"] == "You are an expert in anatomy."
    assert messages[2]["content"] in "ABCD" and len(messages[2]["content"]) == 1
    assert messages[-1]["content"].startswith("Question 100?")
    plain_chat = Template(chat=True).render(Sample(input="hi"))
    assert plain_chat == [{"role": "user", "content": "hi"}]


def test_message_input_is_sent_as_is_with_fewshot_before_it() -> None:
    conversation = [{"role": "system", "content": "theirs"}, {"role": "user", "content": "hello"}]
    t = Template(system="ours")
    assert t.render(Sample(input=conversation)) == conversation  # the dataset's system message wins
    assert Template().render(Sample(input=[{"role": "user", "content": "x"}])) == [{"role": "user", "content": "x"}]
    with pytest.raises(ConfigError, match="chat messages as input"):
        Template().render_text(Sample(input=conversation))


def test_render_loglikelihood_labels_and_choices() -> None:
    t = multiple_choice_template()
    context, conts = t.render_loglikelihood(mc(1))
    assert context.endswith("Answer:") and conts == [" A", " B", " C", " D"]
    t2 = multiple_choice_template(continuations="choices")
    assert t2.render_loglikelihood(mc(1))[1] == [" a1", " b1", " c1", " d1"]
    with_system = multiple_choice_template(system="Be careful.", chat=True)
    context, _ = with_system.render_loglikelihood(mc(1))
    assert context.startswith("Be careful.\n\nQuestion 1?")
    assert continuation_texts(Sample(input="The capital is", target=["Paris", "paris"])) == [" Paris", " paris"]


def test_strict_undefined_names_the_variable() -> None:
    t = Template("{{ inptu }}")
    with pytest.raises(ConfigError) as info:
        t.render(Sample(input="x"))
    assert "'inptu'" in str(info.value) and "input" in info.value.fix  # type: ignore[operator]


def test_syntax_error_and_python_format_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="not valid Jinja2"):
        Template("{{ input ")
    with pytest.raises(ConfigError, match=r"write \{\{ input \}\}"):
        Template("Question: {input}")
    assert Template('{"json": {{ input|tojson }}}').render(Sample(input="x")) == '{"json": "x"}'


def test_spec_records_configuration() -> None:
    t = multiple_choice_template(fewshot=2, fewshot_samples=POOL, fewshot_seed=7)
    spec = t.spec()
    assert spec["fewshot"] == 2 and spec["fewshot_seed"] == 7 and spec["fewshot_pool_size"] == 20
    assert spec["fewshot_order"] == [s.id for s in t._pool[:3]]
    assert spec["prompt"] == "{{ input }}\n{{ formatted_choices }}\n{{ answer_cue }}"
    assert multiple_choice_template(fewshot=2, fewshot_samples=POOL, fewshot_seed=8).spec() != spec
    json.dumps(spec)  # must be serialisable into spec.json
