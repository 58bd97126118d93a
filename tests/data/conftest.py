"""Session fixtures for assay.data tests (helpers live in data_fixtures.py)."""

from __future__ import annotations

import pytest
from tests.data.data_fixtures import NearDupFixture, build_neardup, load_passages


@pytest.fixture(scope="session")
def passages() -> list[dict[str, str]]:
    return load_passages()


@pytest.fixture(scope="session")
def neardup(passages: list[dict[str, str]]) -> NearDupFixture:
    return build_neardup(passages, 1500, 600)
