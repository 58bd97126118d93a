"""`Document`: one record of a training corpus (`id`, `text`, `metadata`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Document:
    """One corpus record.

    `id` is taken from the input where it has one, else `"<shard>:<line>"`, so it is stable across runs.

    >>> Document(id="a", text="hello").to_dict()
    {'id': 'a', 'text': 'hello', 'metadata': {}}
    """

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form written by the writers."""
        return {"id": self.id, "text": self.text, "metadata": self.metadata}

    @property
    def nbytes(self) -> int:
        """UTF-8 size of the text; cheap enough for per-step byte statistics."""
        return len(self.text.encode("utf-8", "surrogatepass"))
