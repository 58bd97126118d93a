"""When and how long to wait before retrying a failed HTTP call to a model server.

The policy is exponential backoff with full jitter (a uniform draw between 0 and
`base_delay * 2**attempt`, capped at `max_delay`), which spreads a crowd of
workers that failed together instead of sending them back in lockstep. A server
that says how long to wait (`Retry-After`, in seconds or as an HTTP date) is
obeyed, up to `max_retry_after` so a bogus header cannot stall a run for hours.

>>> policy = RetryPolicy(base_delay=0.5, max_delay=30.0)
>>> 0.0 <= policy.delay(0) <= 0.5
True
>>> policy.delay(3, retry_after=2.0) >= 2.0
True
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# 408 Request Timeout, 409 Conflict (OpenAI returns it for transient lock contention),
# 425 Too Early and 429 Too Many Requests are worth retrying; every 5xx is too.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})


def is_retryable_status(status: int) -> bool:
    """True for statuses that a later identical request may well get past (429, 5xx...)."""
    return status >= 500 or status in RETRYABLE_4XX


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: a number of seconds or an HTTP date.

    Returns None when the header is absent or unreadable (the caller then uses its own
    backoff), and never a negative number.

    >>> parse_retry_after("1.5")
    1.5
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0)
    10.0
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means no zone was given
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff settings. `delay(attempt)` is the pause after failed attempt number `attempt` (0-based)."""

    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 120.0
    # Share of a Retry-After pause added at random, so workers told "retry in 1 s" together do not return together.
    retry_after_jitter: float = 0.1

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before the next attempt."""
        if retry_after is not None:
            wait = min(retry_after, self.max_retry_after)
            return wait + random.uniform(0.0, wait * self.retry_after_jitter)
        # Cap the exponent so 2**attempt never overflows a float for absurd retry counts.
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(attempt, 60))
        return random.uniform(0.0, ceiling)
