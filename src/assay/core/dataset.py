"""Dataset loaders: JSONL/JSON, CSV, Parquet, in-memory records and Hugging Face datasets to `list[Sample]`.

Every loader reads rows as plain dicts and converts them with `assay.core.fields.RowConverter`,
so field mapping (`fields=`), defaults and error messages are the same for every format:

    >>> samples = load_dataset("data.jsonl", fields={"input": "question", "target": "answer"})  # doctest: +SKIP
    >>> samples = load_dataset("hf://cais/mmlu?name=anatomy", split="test")  # doctest: +SKIP

Errors are `DatasetError`s that name the file, the row (1-based line for JSONL, data row for
CSV) and the field. Loaders never touch the network except `hf_dataset`, which checks that
the Hub answers within a few seconds before handing over to `datasets` (whose own retries
take half a minute to give up).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import parse_qs, urlsplit

from assay.core.fields import FieldSpec, RowConverter
from assay.core.sample import Sample
from assay.errors import DatasetError

__all__ = [
    "csv_dataset",
    "hf_dataset",
    "json_dataset",
    "load_dataset",
    "parquet_dataset",
    "records_dataset",
]

Format = Literal["jsonl", "json", "csv", "parquet", "hf"]
HUB_PROBE_TIMEOUT = 3.0  # seconds; a reachable Hub answers in well under one

_EXTENSIONS: dict[str, Format] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
_EXTENSIONS |= {".parquet": "parquet", ".pq": "parquet"}


def _open_text(path: Path) -> IO[str]:
    try:
        if path.suffix == ".gz":
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
        return open(path, encoding="utf-8-sig", newline="")  # the caller closes it
    except FileNotFoundError:
        raise DatasetError(
            f"dataset file not found: {path}",
            where=str(path),
            fix="check the path (relative paths are read from the current directory: " + os.getcwd() + ")",
        ) from None
    except OSError as e:
        raise DatasetError(f"cannot read dataset file {path}: {e.strerror or e}", where=str(path)) from None


def _read_failed(path: Path, e: Exception) -> DatasetError:
    return DatasetError(
        f"cannot read dataset file {path}: {e}",
        where=str(path),
        fix="check that the file is UTF-8 text in the format its extension says",
    )


def _jsonl_rows(handle: IO[str], path: Path) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(
                f"invalid JSON on line {number} of {path.name}: {e.msg} (column {e.colno})",
                where=f"{path}:{number}",
                fix="each line of a JSONL file must be one complete JSON object",
            ) from None


def json_dataset(path: str | os.PathLike[str], fields: FieldSpec = None) -> list[Sample]:
    """Load a JSONL file (one object per line) or a JSON file holding an array of objects.

    A `.json` file may also be an object with the rows under `"data"`, or JSONL misnamed `.json`.
    Errors name the 1-based line of a JSONL file and the 1-based element of a JSON array.

    >>> json_dataset("questions.jsonl", fields={"input": "question"})  # doctest: +SKIP
    """
    path = Path(path)
    return _load_json(path, fields, lines=not path.name.removesuffix(".gz").endswith(".json"))


def _load_json(path: Path, fields: FieldSpec, *, lines: bool) -> list[Sample]:
    with _open_text(path) as handle:
        try:
            if lines:
                return RowConverter(path.name, fields, row_word="line").convert_all(_jsonl_rows(handle, path))
            text = handle.read()
        except (UnicodeDecodeError, OSError) as e:
            raise _read_failed(path, e) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # several top-level values: JSON Lines under a .json name
            return RowConverter(path.name, fields, row_word="line").convert_all(_jsonl_rows(io.StringIO(text), path))
        raise DatasetError(
            f"invalid JSON in {path.name} at line {e.lineno}, column {e.colno}: {e.msg}",
            where=f"{path}:{e.lineno}",
            fix="fix the JSON, or write the data as JSONL (one object per line)",
        ) from None
    if isinstance(data, Mapping) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise DatasetError(
            f"{path.name} holds a JSON {type(data).__name__}, not an array of rows",
            where=str(path),
            fix='write a JSON array of objects ([{"input": ...}, ...]) or JSONL',
        )
    return RowConverter(path.name, fields, row_word="element").convert_all(enumerate(data, start=1))


def csv_dataset(path: str | os.PathLike[str], fields: FieldSpec = None, *, delimiter: str = ",") -> list[Sample]:
    """Load a CSV file with a header row; row numbers in errors count data rows from 1.

    A `choices` cell may hold a JSON list (`["Paris", "Rome"]`), or map choices to several
    columns: `fields={"choices": ["A", "B", "C", "D"]}`. Use `delimiter="\\t"` for TSV.

    >>> csv_dataset("mmlu.csv", fields={"input": "question", "choices": ["A", "B", "C", "D"]})  # doctest: +SKIP
    """
    path = Path(path)
    with _open_text(path) as handle:
        try:
            reader = csv.DictReader(handle, delimiter=delimiter, restkey="\0extra")
            if reader.fieldnames is None:
                raise DatasetError(f"dataset {path.name} is empty", where=str(path), fix="add a header row and rows")
            rows = list(enumerate(reader, start=1))
        except csv.Error as e:
            raise DatasetError(f"{path.name} is not valid CSV: {e}", where=str(path)) from None
        except (UnicodeDecodeError, OSError) as e:
            raise _read_failed(path, e) from None
    for number, row in rows:
        # DictReader puts surplus cells under restkey and fills missing ones with None.
        if "\0extra" in row or None in row.values():
            problem = "more" if "\0extra" in row else "fewer"
            raise DatasetError(
                f"row {number} of {path.name} has {problem} cells than the header's {len(row) - (problem == 'more')} "
                f"columns (line {number + 1} of the file)",
                where=f"{path}:{number + 1}",
                fix="quote cells that contain the delimiter, or fix the number of cells in that row",
            )
    return RowConverter(path.name, fields, row_word="row").convert_all(rows)


def parquet_dataset(path: str | os.PathLike[str], fields: FieldSpec = None) -> list[Sample]:
    """Load a Parquet file (read with pyarrow); row numbers in errors count from 1.

    >>> parquet_dataset("test-00000-of-00001.parquet")  # doctest: +SKIP
    """
    import pyarrow.parquet as pq  # lazy: pyarrow costs ~0.2 s to import

    path = Path(path)
    if not path.exists():
        raise DatasetError(f"dataset file not found: {path}", where=str(path), fix="check the path")
    try:
        records = pq.read_table(path).to_pylist()
    except Exception as e:  # pyarrow raises several unrelated types for unreadable files
        raise DatasetError(
            f"cannot read Parquet file {path}: {e}", where=str(path), fix="check that it is a Parquet file"
        ) from None
    return RowConverter(path.name, fields, row_word="row").convert_all(enumerate(records, start=1))


def records_dataset(records: Sequence[Mapping[str, Any] | Sample], fields: FieldSpec = None) -> list[Sample]:
    """Build samples from in-memory dicts (or pass `Sample`s through, checking their ids are unique).

    >>> [s.target for s in records_dataset([{"question": "2+2?", "answer": 4}])]
    ['4']
    """
    return RowConverter("records", fields, row_word="record").convert_all(enumerate(records, start=1))


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _probe_hub(path: str, revision: str | None) -> None:
    """Fail fast, with a useful message, when the Hub cannot be reached or lacks the dataset."""
    import httpx

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    url = f"{endpoint}/api/datasets/{path}" + (f"/revision/{revision}" if revision else "")
    headers = {}
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    local_fix = (
        "pass a local file instead: on a machine with a network run "
        f"datasets.load_dataset({path!r}, split=...).to_json('data.jsonl') and load 'data.jsonl'; "
        "or set HF_DATASETS_OFFLINE=1 to use a copy already in the Hugging Face cache"
    )
    try:
        reply = httpx.get(url, headers=headers, timeout=HUB_PROBE_TIMEOUT, follow_redirects=True)
    except httpx.HTTPError as e:
        raise DatasetError(
            f"cannot reach the Hugging Face Hub for dataset {path!r} ({type(e).__name__}: {e})",
            where=endpoint,
            fix=local_fix,
        ) from None
    if reply.status_code in (401, 403):
        raise DatasetError(
            f"the Hugging Face Hub refused access to dataset {path!r} (HTTP {reply.status_code}); it may be gated",
            where=url,
            fix="accept its terms on the Hub and set HF_TOKEN, or pass a local file",
        )
    if reply.status_code == 404:
        at = f" at revision {revision!r}" if revision else ""
        raise DatasetError(
            f"dataset {path!r}{at} is not on the Hugging Face Hub",
            where=url,
            fix="check the name (org/name) and revision",
        )


def hf_dataset(
    path: str,
    *,
    split: str,
    name: str | None = None,
    fields: FieldSpec = None,
    revision: str | None = None,
) -> list[Sample]:
    """Load a split of a Hugging Face dataset (a Hub name like "cais/mmlu", or a local folder).

    Needs the `datasets` package (`pip install assay[datasets]`). For a Hub name it first checks,
    within a few seconds, that the Hub answers; without a network it raises a `DatasetError`
    telling you to pass a local file (or to set `HF_DATASETS_OFFLINE=1` for a cached copy).

    >>> hf_dataset("cais/mmlu", name="anatomy", split="test", fields={"target": "answer"})  # doctest: +SKIP
    """
    where = f"hf://{path}" + (f"?name={name}" if name else "")
    try:
        import datasets
    except ImportError:
        raise DatasetError(
            f"loading {where} needs the 'datasets' package, which is not installed",
            where=where,
            fix="pip install 'assay[datasets]', or pass a local JSONL/CSV/Parquet file",
        ) from None
    local = Path(path).exists()
    offline = _env_true("HF_DATASETS_OFFLINE") or _env_true("HF_HUB_OFFLINE")
    if not local and not offline:
        _probe_hub(path, revision)
    try:
        loaded = datasets.load_dataset(path, name, split=split, revision=revision)
    except Exception as e:  # datasets raises many types (ValueError, FileNotFoundError, ConnectionError...)
        first_line = str(e).splitlines()[0] if str(e) else ""
        raise DatasetError(
            f"could not load split {split!r} of {where}: {type(e).__name__}: {first_line}",
            where=where,
            fix="offline mode is on (HF_DATASETS_OFFLINE/HF_HUB_OFFLINE), so only a cached copy can load: pass a "
            "local JSONL/CSV/Parquet file instead"
            if offline and not local
            else "check the dataset name, config name (name=...) and split, or pass a local file",
        ) from None
    records = loaded.to_list() if hasattr(loaded, "to_list") else list(loaded)
    label = f"{where} ({split})"
    return RowConverter(label, fields, row_word="row").convert_all(enumerate(records, start=1))


def _parse_hf_source(source: str) -> tuple[str, dict[str, str]]:
    """`hf://org/name?name=cfg&split=test&revision=v1` or `hf:org/name` -> ("org/name", options)."""
    rest = source[5:] if source.startswith("hf://") else source[3:]
    parts = urlsplit("x://h/" + rest)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return parts.path[1:], options


def load_dataset(
    source: str | os.PathLike[str] | Sequence[Mapping[str, Any] | Sample],
    *,
    fields: FieldSpec = None,
    format: Format | None = None,
    **kw: Any,
) -> list[Sample]:
    """Load samples from a file, a Hugging Face dataset, or a list of records, choosing the loader.

    The format comes from `format=` or the extension (`.jsonl .json .csv .parquet`, optionally
    `.gz` for the text formats); `hf://org/name` or `hf:org/name` loads from the Hub, with
    options as keyword arguments or as a query (`hf://cais/mmlu?name=anatomy&split=test`).
    Other keyword arguments go to the loader (e.g. `split=`, `delimiter=`).

    >>> load_dataset([{"input": "2+2?", "target": "4"}])[0].target
    '4'
    """
    if not isinstance(source, str | os.PathLike):
        return records_dataset(source, fields)
    text = os.fspath(source)
    if format == "hf" or text.startswith(("hf://", "hf:")):
        hf_path, options = _parse_hf_source(text) if text.startswith("hf:") else (text, {})
        options.update({k: str(v) for k, v in kw.items() if v is not None})
        split = options.pop("split", None)
        if split is None:
            raise DatasetError(
                f"no split given for Hugging Face dataset {text!r}",
                where=text,
                fix="pass split='test' (or add ?split=test to the source)",
            )
        unknown = set(options) - {"name", "revision"}
        if unknown:
            raise DatasetError(
                f"unknown option(s) {', '.join(sorted(unknown))} for Hugging Face dataset {text!r}",
                where=text,
                fix="use name=, split= and revision=",
            )
        name, revision = options.get("name"), options.get("revision")
        return hf_dataset(hf_path, split=split, name=name, fields=fields, revision=revision)
    path = Path(text)
    fmt: Format | None = format
    if fmt is None:
        suffixes = [s.lower() for s in path.suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes.pop()
        fmt = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        if path.is_dir():
            return hf_dataset(text, fields=fields, split=str(kw.get("split", "train")))
        raise DatasetError(
            f"cannot tell the format of dataset {text!r} from its extension",
            where=text,
            fix="use a .jsonl, .json, .csv or .parquet file, or pass format='jsonl' (or json, csv, parquet, hf)",
        )
    if fmt in ("jsonl", "json"):
        return _load_json(path, fields, lines=fmt == "jsonl")
    if fmt == "csv":
        return csv_dataset(path, fields, **kw)
    return parquet_dataset(path, fields)
