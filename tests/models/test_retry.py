"""The backoff policy: bounded, jittered, obedient to Retry-After within reason."""

from __future__ import annotations

import doctest
from email.utils import formatdate

import pytest

import assay.models.retry
from assay.models.retry import RetryPolicy, is_retryable_status, parse_retry_after


def test_full_jitter_stays_within_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (3, 4.0), (6, 30.0), (500, 30.0)]:
        delays = [policy.delay(attempt) for _ in range(300)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.5 * ceiling  # really spread over the range, not stuck at the bottom


def test_retry_after_is_a_floor_with_a_little_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=0.01, max_retry_after=10.0)
    assert all(2.0 <= policy.delay(0, retry_after=2.0) <= 2.2 for _ in range(100))
    assert all(10.0 <= policy.delay(5, retry_after=3600.0) <= 11.0 for _ in range(100))
    assert policy.delay(0, retry_after=0.0) == 0.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), (" 0.25 ", 0.25), ("-4", 0.0), (None, None), ("", None), ("soon", None), ("nan", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 7, usegmt=True), now=now) == pytest.approx(7.0)
    assert parse_retry_after(formatdate(now - 60, usegmt=True), now=now) == 0.0  # already past: go now
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37", now=now) is None  # no zone: not an HTTP date


@pytest.mark.parametrize(
    ("status", "retry"),
    [(429, True), (500, True), (502, True), (503, True), (408, True), (400, False), (401, False), (404, False)],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def test_module_examples_run() -> None:
    assert doctest.testmod(assay.models.retry).failed == 0
