"""`Sample`: one dataset item, with a stable id that pairs runs sample by sample."""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field
from typing import Any

from assay.models.base import Message

LETTERS = string.ascii_uppercase


@dataclass(slots=True)
class Sample:
    """One item of a dataset.

    `id` is stable: taken from the dataset where it has one, else a hash of the
    content, so two runs of the same task pair up by (id, epoch). `cluster` groups
    samples that are not independent (e.g. questions about one passage) and drives
    clustered standard errors.

    >>> Sample(input="2+2=?", target="4").id
    's-...'
    """

    input: str | list[Message]
    target: str | list[str] = ""
    choices: list[str] | None = None
    id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    cluster: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            self.id = content_id(self.input, self.choices, self.target)
        else:
            self.id = str(self.id)

    def target_index(self) -> int:
        """Index of the correct choice: the target is a letter, a choice's text, or a number."""
        if not self.choices:
            raise ValueError(f"sample {self.id} has no choices")
        target = self.target[0] if isinstance(self.target, list) else self.target
        target = str(target).strip()
        if len(target) == 1 and target.upper() in LETTERS[: len(self.choices)]:
            return LETTERS.index(target.upper())
        if target in self.choices:
            return self.choices.index(target)
        if target.isdigit() and int(target) < len(self.choices):
            return int(target)
        raise ValueError(
            f"sample {self.id}: target {target!r} is neither a choice letter, a choice's text, nor a choice index"
        )


def content_id(*parts: Any) -> str:
    """A short stable hash of the sample's content (used when the dataset has no id)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return "s-" + hashlib.sha256(blob.encode()).hexdigest()[:16]
