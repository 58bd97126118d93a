"""Prompt templates: a sample (plus few-shot examples) to the exact prompt a model sees.

A `Template` is a Jinja2 prompt with strict variables (a typo is a `ConfigError` that names
the variable), optional system message and few-shot examples, and the conventions of
multiple-choice prompting (choice labels, the answer cue, the continuations scored for
log-likelihood). It renders text, or chat messages when `chat=True`, a `system` message is
set, or the sample's input is already a message list.

    >>> from assay.core.sample import Sample
    >>> t = multiple_choice_template()
    >>> print(t.render(Sample(input="2+2?", choices=["3", "4"], target="B")))
    2+2?
    A. 3
    B. 4
    Answer:
    >>> t.render_loglikelihood(Sample(input="2+2?", choices=["3", "4"], target="B"))[1]
    [' A', ' B']
"""

from __future__ import annotations

import hashlib
import random
import re
import string
from collections.abc import Sequence
from typing import Any, Literal

import jinja2

from assay.core.jinja import compile_jinja, render_jinja
from assay.core.sample import Sample
from assay.errors import ConfigError
from assay.models.base import Message

__all__ = ["Template", "continuation_texts", "multiple_choice_template"]

Continuations = Literal["labels", "choices"]

_PYTHON_STYLE = re.compile(r"(?<!\{)\{(input|choices|target|formatted_choices)\}(?!\})")


def continuation_texts(
    sample: Sample,
    mode: Continuations = "labels",
    *,
    target_format: str = " {label}",
    choice_labels: str = string.ascii_uppercase,
) -> list[str]:
    """The continuations scored for `sample` under log-likelihood: one per choice.

    `mode="labels"` applies `target_format` to each label (" A", " B", ...); `mode="choices"`
    uses " " + the choice's text. Shared by `Template.render_loglikelihood` and the `choice`
    scorer (which needs their byte lengths for acc_norm), so the two cannot disagree.
    A sample without choices gets one continuation per acceptable target.

    >>> continuation_texts(Sample(input="q", choices=["no", "yes"], target="B"), "choices")
    [' no', ' yes']
    """
    if not sample.choices:
        targets = sample.target if isinstance(sample.target, list) else [sample.target]
        return [target_format.format(label=t, choice=t, target=t) for t in targets]
    if mode == "choices":
        return [" " + c for c in sample.choices]
    labels = _labels(choice_labels, len(sample.choices), sample.id)
    return [
        target_format.format(label=label, choice=c, target=c) for label, c in zip(labels, sample.choices, strict=True)
    ]


def _labels(choice_labels: str | Sequence[str], n: int, sample_id: str) -> list[str]:
    if n > len(choice_labels):
        raise ConfigError(
            f"sample {sample_id} has {n} choices but only {len(choice_labels)} choice labels are defined",
            where="template choice_labels",
            fix="pass longer choice_labels to the template",
        )
    return list(choice_labels[:n])


class Template:
    """A Jinja2 prompt template with few-shot examples and multiple-choice formatting.

    Variables: `input`, `choices` (list), `formatted_choices` (the lettered block, one
    `choice_format` line per choice), `labels`, `target`, `answer_cue`, `metadata` and each
    metadata field by name, and `sample`. `description` (also Jinja2) is rendered once before
    the few-shot examples, e.g. "The following are questions about {{ subject }}.".

    Few-shot examples are drawn from `fewshot_samples` in an order fixed by `fewshot_seed`;
    every sample gets the first `fewshot` of that order that are not itself (by id). The same
    examples for every sample keep prompts comparable and let servers reuse the cached prefix.
    Each example is the template rendered for it followed by its answer (`target_format` with
    {label}, {choice}, {target}), joined by `fewshot_separator`. In chat form each example is a
    user turn and an assistant turn.

    >>> t = Template("Q: {{ input }}\\nA:", fewshot=1, fewshot_samples=[Sample(input="1+1?", target="2", id="a")])
    >>> print(t.render(Sample(input="2+2?", target="4", id="b")))
    Q: 1+1?
    A: 2
    <BLANKLINE>
    Q: 2+2?
    A:
    """

    def __init__(
        self,
        prompt: str = "{{ input }}",
        *,
        system: str | None = None,
        description: str | None = None,
        fewshot: int = 0,
        fewshot_samples: Sequence[Sample] | None = None,
        fewshot_seed: int = 0,
        fewshot_separator: str = "\n\n",
        choice_labels: str = string.ascii_uppercase,
        choice_format: str = "{label}. {choice}",
        answer_cue: str = "Answer:",
        target_format: str = " {label}",
        chat: bool = False,
        continuations: Continuations = "labels",
    ) -> None:
        if _PYTHON_STYLE.search(prompt) and "{{" not in prompt:
            name = _PYTHON_STYLE.search(prompt)
            raise ConfigError(
                f"prompt template uses Python format syntax {name.group(0) if name else ''}",
                where="template prompt",
                fix="templates are Jinja2: write {{ input }} instead of {input}",
            )
        if fewshot < 0:
            raise ConfigError(f"fewshot must be >= 0, got {fewshot}", where="template fewshot")
        pool = list(fewshot_samples or [])
        if fewshot and len(pool) < fewshot:
            raise ConfigError(
                f"fewshot={fewshot} but only {len(pool)} few-shot samples were given",
                where="template fewshot_samples",
                fix="pass at least `fewshot` samples as fewshot_samples (e.g. a dev split), or lower fewshot",
            )
        if continuations not in ("labels", "choices"):
            raise ConfigError(f"continuations must be 'labels' or 'choices', got {continuations!r}")
        self.prompt = prompt
        self.system = system
        self.description = description
        self.fewshot = fewshot
        self.fewshot_seed = fewshot_seed
        self.fewshot_separator = fewshot_separator
        self.choice_labels = choice_labels
        self.choice_format = choice_format
        self.answer_cue = answer_cue
        self.target_format = target_format
        self.chat = chat
        self.continuations: Continuations = continuations
        self._prompt = _compile(prompt, "prompt")
        self._system = _compile(system, "system") if system is not None else None
        self._description = _compile(description, "description") if description is not None else None
        # Order the pool once by seed; per-sample selection then skips only the sample itself.
        order = list(range(len(pool)))
        random.Random(fewshot_seed).shuffle(order)
        self._pool = [pool[i] for i in order] if fewshot else []
        self._examples: dict[str, str] = {}

    @classmethod
    def coerce(cls, template: Template | str | None) -> Template:
        """Accept a Template, a Jinja2 prompt string, or None (the plain "{{ input }}" prompt).

        >>> Template.coerce("Q: {{ input }}").prompt
        'Q: {{ input }}'
        """
        if template is None:
            return cls()
        if isinstance(template, Template):
            return template
        if isinstance(template, str):
            return cls(template)
        raise ConfigError(
            f"a template must be a string or a Template, got {type(template).__name__}",
            where="task template",
            fix='pass a Jinja2 string like "Q: {{ input }}\\nA:" or assay.core.template.Template(...)',
        )

    # --- rendering --------------------------------------------------------------------------

    def fewshot_examples(self, sample: Sample) -> list[Sample]:
        """The few-shot examples used for `sample` (never the sample itself)."""
        if not self.fewshot:
            return []
        return [s for s in self._pool if s.id != sample.id][: self.fewshot]

    def layout(self, sample: Sample) -> dict[str, str]:
        """The multiple-choice layout for `sample`: the template's own, overridden by `sample.metadata["format"]`.

        Prompt-format variants (`assay.perturb`, `--perturb format:3`) set that dict, with any of the keys
        `choice_labels`, `choice_format`, `choice_separator`, `answer_cue`; other keys are ignored.
        """
        layout = {
            "choice_labels": self.choice_labels,
            "choice_format": self.choice_format,
            "choice_separator": "\n",
            "answer_cue": self.answer_cue,
        }
        override = sample.metadata.get("format")
        if isinstance(override, dict):
            layout.update({k: str(v) for k, v in override.items() if k in layout})
        return layout

    def variables(self, sample: Sample, layout: dict[str, str] | None = None) -> dict[str, Any]:
        """The variables the prompt template sees for `sample` (laid out as `layout`, default its own)."""
        layout = layout or self.layout(sample)
        choices = list(sample.choices or [])
        labels = _labels(layout["choice_labels"], len(choices), sample.id)
        formatted = layout["choice_separator"].join(
            layout["choice_format"].format(label=label, choice=c) for label, c in zip(labels, choices, strict=True)
        )
        base: dict[str, Any] = {
            "input": sample.input,
            "choices": choices,
            "formatted_choices": formatted,
            "labels": labels,
            "target": sample.target,
            "answer_cue": layout["answer_cue"],
            "metadata": sample.metadata,
            "sample": sample,
        }
        # Metadata fields by name, without shadowing the template's own variables.
        return {**{k: v for k, v in sample.metadata.items() if isinstance(k, str)}, **base}

    def answer_text(self, sample: Sample, layout: dict[str, str] | None = None) -> str:
        """The answer appended to a few-shot example: `target_format` with its label/choice/target."""
        target = sample.target[0] if isinstance(sample.target, list) else str(sample.target)
        if sample.choices:
            index = sample.target_index()
            labels = (layout or self.layout(sample))["choice_labels"]
            label = _labels(labels, len(sample.choices), sample.id)[index]
            return self.target_format.format(label=label, choice=sample.choices[index], target=target)
        return self.target_format.format(label=target, choice=target, target=target)

    def _question(self, sample: Sample, layout: dict[str, str] | None = None) -> str:
        if not isinstance(sample.input, str):
            raise ConfigError(
                f"sample {sample.id} has chat messages as input, which a text prompt cannot hold",
                where="template",
                fix="use chat=True (messages are then sent as they are), or give the sample a text input",
            )
        return _render(self._prompt, self.variables(sample, layout), "prompt", sample.id)

    def _description_text(self, sample: Sample) -> str:
        if self._description is None:
            return ""
        return _render(self._description, self.variables(sample), "description", sample.id)

    def _example_text(self, example: Sample, layout: dict[str, str]) -> str:
        # Every sample shares (almost) the same examples: render each once per layout, not once per sample.
        # Examples take the layout of the question they precede, so a format variant changes the whole prompt.
        key = example.id + "\x00" + "\x00".join(layout.values())
        text = self._examples.get(key)
        if text is None:
            text = self._examples[key] = self._question(example, layout) + self.answer_text(example, layout)
        return text

    def render_text(self, sample: Sample) -> str:
        """The whole prompt as one string: description, few-shot examples, then the question."""
        layout = self.layout(sample)
        parts = [self._example_text(s, layout) for s in self.fewshot_examples(sample)]
        parts.append(self._question(sample))
        text = self.fewshot_separator.join(parts)
        description = self._description_text(sample)
        return description + text if description else text

    def render_messages(self, sample: Sample) -> list[Message]:
        """The prompt as chat messages: system, few-shot user/assistant turns, then the question."""
        messages: list[Message] = []
        if self._system is not None:
            messages.append({"role": "system", "content": _render(self._system, self.variables(sample), "system", "")})
        description = self._description_text(sample)
        layout = self.layout(sample)
        for example in self.fewshot_examples(sample):
            messages.append({"role": "user", "content": description + self._question(example, layout)})
            messages.append({"role": "assistant", "content": self.answer_text(example, layout).strip()})
            description = ""  # only once, at the start of the conversation
        if isinstance(sample.input, list):
            # A conversation from the dataset is sent as it is; a system message there wins over ours.
            if messages and messages[0]["role"] == "system" and any(m["role"] == "system" for m in sample.input):
                messages = messages[1:]
            messages.extend({"role": m["role"], "content": m["content"]} for m in sample.input)
        else:
            messages.append({"role": "user", "content": description + self._question(sample)})
        return messages

    def render(self, sample: Sample) -> str | list[Message]:
        """The prompt for a `generate` request: chat messages or one string (see the class docs)."""
        if self.chat or self.system is not None or isinstance(sample.input, list):
            return self.render_messages(sample)
        return self.render_text(sample)

    def render_loglikelihood(self, sample: Sample) -> tuple[str, list[str]]:
        """The context string and the continuations scored after it (one per choice).

        Log-likelihood needs text, so chat settings are ignored; a system prompt is put
        before the context as plain text, followed by `fewshot_separator`.
        """
        context = self.render_text(sample)
        if self._system is not None:
            context = (
                _render(self._system, self.variables(sample), "system", sample.id) + self.fewshot_separator + context
            )
        return context, continuation_texts(
            sample,
            self.continuations,
            target_format=self.target_format,
            choice_labels=self.layout(sample)["choice_labels"],
        )

    def spec(self) -> dict[str, Any]:
        """The template's configuration for the run's spec.json (with the few-shot pool's identity)."""
        pool_ids = [s.id for s in self._pool]
        return {
            "prompt": self.prompt,
            "system": self.system,
            "description": self.description,
            "fewshot": self.fewshot,
            "fewshot_seed": self.fewshot_seed,
            "fewshot_separator": self.fewshot_separator,
            "fewshot_pool_size": len(pool_ids),
            "fewshot_pool_hash": hashlib.sha256("\n".join(sorted(pool_ids)).encode()).hexdigest()[:16]
            if pool_ids
            else None,
            "fewshot_order": pool_ids[: self.fewshot + 1],
            "choice_labels": self.choice_labels,
            "choice_format": self.choice_format,
            "answer_cue": self.answer_cue,
            "target_format": self.target_format,
            "chat": self.chat,
            "continuations": self.continuations,
        }

    def __repr__(self) -> str:
        return f"Template({self.prompt!r}, fewshot={self.fewshot}, chat={self.chat})"


def multiple_choice_template(
    *,
    description: str | None = None,
    system: str | None = None,
    fewshot: int = 0,
    fewshot_samples: Sequence[Sample] | None = None,
    fewshot_seed: int = 0,
    chat: bool = False,
    choice_labels: str = string.ascii_uppercase,
    answer_cue: str = "Answer:",
    continuations: Continuations = "labels",
) -> Template:
    """The standard MMLU-style prompt: "question\\nA. ...\\nB. ...\\nAnswer:".

    With few-shot examples each one ends in its answer (" B"); `description` is said once
    at the top, as lm-eval's MMLU does ("The following are multiple choice questions (with
    answers) about {{ subject }}.\\n\\n").

    >>> multiple_choice_template(fewshot=0).prompt
    '{{ input }}\\n{{ formatted_choices }}\\n{{ answer_cue }}'
    """
    return Template(
        "{{ input }}\n{{ formatted_choices }}\n{{ answer_cue }}",
        system=system,
        description=description,
        fewshot=fewshot,
        fewshot_samples=fewshot_samples,
        fewshot_seed=fewshot_seed,
        choice_labels=choice_labels,
        answer_cue=answer_cue,
        chat=chat,
        continuations=continuations,
    )


def _compile(source: str, part: str) -> jinja2.Template:
    return compile_jinja(source, f"the template's {part}", f"template {part}")


def _render(template: jinja2.Template, variables: dict[str, Any], part: str, sample_id: str) -> str:
    return render_jinja(template, variables, f"the template's {part}", f"template {part}", sample_id)
