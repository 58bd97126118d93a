"""Turning raw dataset rows (dicts) into `Sample`s: the field mapping and its checks.

Every loader in `assay.core.dataset` reads its file into plain dict rows and hands them
here, so the mapping rules and the error messages are the same for JSONL, CSV, Parquet,
Hugging Face datasets and in-memory records. The conversion is a plain loop with one
`Sample` dataclass per row (no validation models), so 100k rows take well under a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.core.sample import Sample, content_id
from assay.errors import ConfigError, DatasetError

SAMPLE_FIELDS = ("input", "target", "choices", "id", "cluster")

# Columns tried, in order, when the user maps nothing for a field.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "input": ("input", "question", "prompt"),
    "target": ("target", "answer", "label"),
    "choices": ("choices", "options"),
    "id": ("id",),
    "cluster": ("cluster",),
}

FieldSpec = Mapping[str, str | Sequence[str]] | Sequence[str] | None
"""A field mapping: `{"input": "question", "choices": ["A", "B", "C", "D"]}` or `["input=question"]`."""


def parse_fields(fields: FieldSpec) -> dict[str, str | tuple[str, ...]]:
    """Normalise a field mapping to `{sample field: column or tuple of columns}`.

    Accepts a mapping or the CLI's list of `"field=column"` strings; `choices` may name
    several columns (one per option), written `choices=A,B,C,D` on the command line.

    >>> parse_fields(["input=question", "choices=a,b"])
    {'input': 'question', 'choices': ('a', 'b')}
    """
    if fields is None:
        return {}
    pairs: list[tuple[str, str | Sequence[str]]] = []
    if isinstance(fields, Mapping):
        pairs = list(fields.items())
    elif isinstance(fields, str):
        raise ConfigError(
            f"fields must be a mapping or a list of 'field=column' strings, got the string {fields!r}",
            where="fields",
            fix='write fields={"input": "question"} or fields=["input=question"]',
        )
    else:
        for item in fields:
            key, sep, text = str(item).partition("=")
            if not sep or not key.strip() or not text.strip():
                raise ConfigError(
                    f"bad field mapping {item!r}",
                    where="fields",
                    fix="write each mapping as field=column, e.g. input=question",
                )
            columns = [c.strip() for c in text.split(",")]
            pairs.append((key.strip(), columns if len(columns) > 1 else columns[0]))
    out: dict[str, str | tuple[str, ...]] = {}
    for key, value in pairs:
        if key not in SAMPLE_FIELDS:
            raise ConfigError(
                f"unknown sample field {key!r} in the field mapping",
                where="fields",
                fix=f"map one of: {', '.join(SAMPLE_FIELDS)} (other columns go to metadata by themselves)",
            )
        if isinstance(value, str):
            out[key] = value
        elif key == "choices" and len(value) > 0 and all(isinstance(v, str) for v in value):
            out[key] = tuple(value)
        else:
            raise ConfigError(
                f"field {key!r} is mapped to {value!r}; only 'choices' may name several columns",
                where="fields",
                fix=f"map {key} to one column name",
            )
    return out


@dataclass(slots=True)
class _Plan:
    """Which column feeds each sample field, for rows with one particular set of keys."""

    columns: dict[str, str | tuple[str, ...]]
    used: frozenset[str]


class RowConverter:
    """Converts dict rows to Samples, with errors that name the file, the row and the field.

    `row_word` is how rows are counted in messages ("line" for JSONL, "row" for CSV).
    """

    def __init__(self, source: str, fields: FieldSpec = None, *, row_word: str = "row") -> None:
        self.source = source
        self.row_word = row_word
        self.mapping = parse_fields(fields)
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._seen_ids: dict[str, int] = {}

    def where(self, row: int) -> str:
        return f"{self.row_word} {row} of {self.source}"

    def _plan(self, keys: tuple[str, ...], row: int) -> _Plan:
        # Rows of one file almost always share their keys: resolve the mapping once per key set.
        plan = self._plans.get(keys)
        if plan is not None:
            return plan
        present = set(keys)
        columns: dict[str, str | tuple[str, ...]] = {}
        for name in SAMPLE_FIELDS:
            mapped = self.mapping.get(name)
            if mapped is not None:
                needed = (mapped,) if isinstance(mapped, str) else mapped
                missing = [c for c in needed if c not in present]
                if not missing:
                    columns[name] = mapped
                elif name != "cluster":
                    # A mapped column missing from a row is a broken row; only a cluster may be absent.
                    raise DatasetError(
                        f"{self.where(row)} has no field {missing[0]!r}; fields present: {_names(keys)}",
                        where=self.where(row),
                        fix=f"add {missing[0]!r} to every row, or map {name} to one of the fields present",
                    )
                continue
            for candidate in DEFAULT_COLUMNS[name]:
                if candidate in present:
                    columns[name] = candidate
                    break
        if "input" not in columns:
            raise DatasetError(
                f"{self.where(row)} has no input field (looked for "
                f"{', '.join(repr(c) for c in DEFAULT_COLUMNS['input'])}); fields present: {_names(keys)}",
                where=self.where(row),
                fix='map the input column, e.g. fields={"input": "text"} or --field input=text',
            )
        used = {c for v in columns.values() for c in ((v,) if isinstance(v, str) else v)}
        plan = _Plan(columns, frozenset(used))
        self._plans[keys] = plan
        return plan

    def convert(self, row: int, record: Any) -> Sample:
        """Convert one record; `row` is its 1-based number in the source (for messages)."""
        if isinstance(record, Sample):
            return self._check_id(record, row, explicit=True)
        if not isinstance(record, Mapping):
            raise DatasetError(
                f"{self.where(row)} is a {type(record).__name__}, not an object with named fields",
                where=self.where(row),
                fix='write each row as an object, e.g. {"input": "...", "target": "..."}',
            )
        plan = self._plan(tuple(record), row)
        cols = plan.columns
        # Only `choices` can map to several columns (parse_fields enforces it), so these are plain strings.
        input_col, target_col = str(cols["input"]), str(cols.get("target", ""))
        input_ = self._input(record[input_col], input_col, row)
        choices = self._choices(record, cols.get("choices"), row)
        target = self._target(record[target_col], target_col, row) if target_col else ""
        cluster_value = record[str(cols["cluster"])] if "cluster" in cols else None
        cluster = None if cluster_value is None or cluster_value == "" else str(cluster_value)
        metadata = {k: v for k, v in record.items() if k not in plan.used}
        nested = metadata.pop("metadata", None)
        if isinstance(nested, Mapping):
            metadata = {**nested, **metadata}
        elif nested is not None:
            metadata["metadata"] = nested
        id_value = record[str(cols["id"])] if "id" in cols else None
        explicit = id_value is not None and id_value != ""
        sample_id = str(id_value) if explicit else content_id(input_, choices, target)
        sample = Sample(input=input_, target=target, choices=choices, id=sample_id, metadata=metadata, cluster=cluster)
        return self._check_id(sample, row, explicit=explicit)

    def convert_all(self, rows: Iterable[tuple[int, Any]]) -> list[Sample]:
        samples = [self.convert(row, record) for row, record in rows]
        if not samples:
            raise DatasetError(
                f"dataset {self.source} has no rows",
                where=self.source,
                fix="check that the file is the one you meant and that it is not empty",
            )
        return samples

    def _check_id(self, sample: Sample, row: int, *, explicit: bool) -> Sample:
        first = self._seen_ids.get(sample.id)
        if first is None:
            self._seen_ids[sample.id] = row
            return sample
        if explicit:
            raise DatasetError(
                f"duplicate sample id {sample.id!r}: {self.row_word}s {first} and {row} of {self.source}",
                where=self.where(row),
                fix="give every row a unique id (runs are compared sample by sample through the id)",
            )
        # Identical rows without ids are legitimate (e.g. repeated questions); number the repeats so
        # ids stay unique and stable as long as the file's order does not change.
        n = 2
        while f"{sample.id}-{n}" in self._seen_ids:
            n += 1
        sample.id = f"{sample.id}-{n}"
        self._seen_ids[sample.id] = row
        return sample

    def _input(self, value: Any, column: str, row: int) -> str | list[dict[str, str]]:
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(m, Mapping) and "role" in m and "content" in m for m in value):
            return [{"role": str(m["role"]), "content": str(m["content"])} for m in value]
        if value is None or isinstance(value, list | dict):
            raise DatasetError(
                f"{self.where(row)}: field {column!r} (input) is {_describe(value)}, not text or chat messages",
                where=self.where(row),
                fix="make the input a string or a list of {role, content} messages",
            )
        return str(value)

    def _choices(self, record: Mapping[str, Any], column: str | tuple[str, ...] | None, row: int) -> list[str] | None:
        if column is None:
            return None
        if isinstance(column, tuple):
            return [str(record[c]) for c in column if record[c] is not None and record[c] != ""]
        value = record[column]
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.lstrip().startswith("["):
            # CSV cells and some exports carry the list as JSON text.
            try:
                value = json.loads(value)
            except json.JSONDecodeError as e:
                raise DatasetError(
                    f"{self.where(row)}: field {column!r} (choices) looks like a JSON list but is not valid JSON: {e}",
                    where=self.where(row),
                    fix='write choices as a JSON list, e.g. ["Paris", "Rome"]',
                ) from None
        if isinstance(value, list):
            return [c if isinstance(c, str) else str(c) for c in value]
        if not isinstance(value, tuple) and not hasattr(value, "tolist"):  # tolist: numpy arrays from Parquet/HF
            raise DatasetError(
                f"{self.where(row)}: field {column!r} (choices) is not a list but {_describe(value)}",
                where=self.where(row),
                fix='write choices as a list, e.g. ["Paris", "Rome"] (in CSV, a JSON list in one cell)',
            )
        items = value.tolist() if hasattr(value, "tolist") else value
        return [str(c) for c in items]

    def _target(self, value: Any, column: str, row: int) -> str | list[str]:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int | float):
            # Integer labels stay as their index string ("2"); Sample.target_index() reads them.
            return str(int(value)) if float(value).is_integer() else str(value)
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        raise DatasetError(
            f"{self.where(row)}: field {column!r} (target) is {_describe(value)}",
            where=self.where(row),
            fix="make the target a string, a number, or a list of acceptable answers",
        )


def _names(keys: Iterable[str]) -> str:
    names = [repr(k) for k in keys]
    return ", ".join(names) if names else "(none)"


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"
