from pathlib import Path

from assay.core.cache import RequestCache, request_key
from assay.models.base import GenerateConfig, Request, Response


def test_roundtrip_and_keys_distinguish_model_request_and_epoch(tmp_path: Path) -> None:
    cache = RequestCache(tmp_path / "c.sqlite")
    req = Request("generate", "2+2=", config=GenerateConfig(max_tokens=4))
    k1 = request_key({"model": "a"}, req, 1)
    assert k1 != request_key({"model": "b"}, req, 1)
    assert k1 != request_key({"model": "a"}, req, 2)
    assert k1 != request_key({"model": "a"}, Request("generate", "2+3=", config=GenerateConfig(max_tokens=4)), 1)
    cache.put(k1, Response(text="4", usage={"prompt_tokens": 3}, latency=0.5))
    assert cache.get_many([k1]) == {}  # not visible before flush
    cache.flush()
    got = cache.get_many([k1, "missing"])
    assert set(got) == {k1}
    assert got[k1].text == "4" and got[k1].cached and got[k1].usage == {"prompt_tokens": 3}
    cache.close()
    reopened = RequestCache(tmp_path / "c.sqlite")
    assert reopened.get_many([k1])[k1].text == "4"


def test_many_keys_in_chunks(tmp_path: Path) -> None:
    cache = RequestCache(tmp_path / "c.sqlite")
    keys = [f"k{i}" for i in range(1234)]
    for k in keys:
        cache.put(k, Response(text=k))
    cache.flush()
    got = cache.get_many(keys)
    assert len(got) == 1234 and got["k1000"].text == "k1000"
