"""When to try again: exponential backoff with full jitter, and the server's `Retry-After`."""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for transient failures (connection errors, timeouts, 429, 5xx).

    The n-th wait is uniform in [0, min(backoff_max_s, backoff_base_s * 2**n)] ("full jitter"), so
    many trainer ranks hitting one busy server spread out instead of retrying in lockstep.
    A 429's `Retry-After` is honoured as given, plus up to `retry_after_jitter` of it on top.
    """

    max_attempts: int = 8
    backoff_base_s: float = 0.2
    backoff_max_s: float = 10.0
    retry_after_jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** min(attempt - 1, 30))
        return rng.uniform(0.0, ceiling)

    def after_server_hint_s(self, retry_after_s: float, rng: random.Random) -> float:
        return retry_after_s * (1.0 + rng.uniform(0.0, self.retry_after_jitter))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
