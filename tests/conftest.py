"""Session-wide test settings: no model hub, and one place for assay's caches.

Requests are cached in a fresh folder per test session (so no test sees another session's
answers), while converted models live under the pytest cache, so the 20-40 s GGUF conversion
of the embedded SmolLM2 happens once per checkout, not once per run.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests: no per-example deadline (CI shares 2 cores) and a fixed example sequence, so a run can never
# fail on an example an earlier run did not try.
settings.register_profile("assay", deadline=None, derandomize=True, database=None)
settings.load_profile("assay")


@pytest.fixture(scope="session", autouse=True)
def assay_cache_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("assay-cache")
    cache = getattr(request.config, "cache", None)
    models = Path(cache.mkdir("assay-models")) if cache is not None else root / "models-store"
    models.mkdir(parents=True, exist_ok=True)
    (root / "models").symlink_to(models, target_is_directory=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_CACHE_DIR", str(root))
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield root
    mp.undo()
