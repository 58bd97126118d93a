from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private request cache per test (inherited by CLI subprocesses), so tests never share answers."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(cache))
    return cache
