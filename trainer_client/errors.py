"""The one exception the trainer client raises, for problems no retry can fix."""

from __future__ import annotations


class RewardClientError(Exception):
    """The reward service refused the call as a whole (bad URL, bad API key, a route that is not there).

    Transient trouble (connection errors, 429, 5xx, timeouts) is never raised: it is retried until the
    call's deadline and then reported per item in `ScoreResult.error`, so a training step always gets
    its results back. This exception is for misconfiguration, where scoring every item as an error
    would silently waste a training run.
    """

    def __init__(self, message: str, *, status_code: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.url = url

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        status = f"HTTP {self.status_code}: " if self.status_code is not None else ""
        return f"{status}{self.message}{where}"


class RewardServiceUnavailable(RewardClientError):
    """The service cannot score: unreachable or not ready at start, or nothing scored for several calls.

    Raised so that a training run stops instead of training on samples that all lack a reward; the
    message names the URL and the last problem seen.
    """

    def __str__(self) -> str:
        return self.message  # the message already names the URL and the status
