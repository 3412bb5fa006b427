"""A training run must never train on nothing: the start-up check and the watch on unscored calls.

`check_service` asks the service's `/healthz` once, before the first call: a refused connection,
a wrong base URL or a service that says it cannot score fails at once with the URL, instead of
every item coming back unscored after the retries ran out. `UnscoredWatch` looks at every call's
results: a call that comes back (mostly) unscored is logged as a warning, and a run of calls in
which no sample at all was scored raises `RewardServiceUnavailable`, which stops the trainer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

from trainer_client.errors import RewardServiceUnavailable
from trainer_client.types import ScoreResult

log = logging.getLogger("trainer_client")

# Paths people paste instead of the base URL; the client appends the route itself.
_ROUTES = ("/v1/score", "/v1/jobs", "/v1/rank", "/get_reward", "/run_code", "/healthz", "/v1")


def check_base_url(base_url: str) -> str:
    """`base_url` without a trailing slash; ValueError naming the fix for a URL that is not a base URL."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"reward-server URL {base_url!r} is not an http(s) URL; pass the base URL, e.g. http://host:8000"
        )
    for route in _ROUTES:
        if parts.path.endswith(route):
            base = url[: len(url) - len(route)]
            raise ValueError(
                f"reward-server URL {base_url!r} ends with the route {route}; pass the base URL ({base}): "
                "the client adds the route itself"
            )
    return url


async def check_service(http: httpx.AsyncClient, base_url: str, timeout_s: float) -> None:
    """GET /healthz; raise `RewardServiceUnavailable` naming the URL unless the service can score."""
    try:
        response = await http.get("/healthz", timeout=timeout_s)
    except httpx.TimeoutException:
        raise RewardServiceUnavailable(
            f"reward-server at {base_url} did not answer /healthz within {timeout_s:g} s", url=base_url
        ) from None
    except httpx.TransportError as error:
        raise RewardServiceUnavailable(
            f"cannot reach reward-server at {base_url} ({type(error).__name__}: {error or 'no detail'}); "
            "is it running, and are the host and port right?",
            url=base_url,
        ) from None
    if response.status_code == 200:
        return
    if response.status_code == 404:
        raise RewardServiceUnavailable(
            f"{base_url}/healthz answered 404: this is not the base URL of a reward-server "
            "(pass the root, e.g. http://host:8000)",
            status_code=404,
            url=base_url,
        )
    raise RewardServiceUnavailable(
        f"reward-server at {base_url} cannot score: /healthz answered {response.status_code}: "
        f"{_reason(response)}",
        status_code=response.status_code,
        url=base_url,
    )


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("reason", "detail"):
            if body.get(key):
                return str(body[key])[:300]
    return str(body)[:300]


class UnscoredWatch:
    """Counts calls in a row in which no sample was scored; warns on (mostly) unscored calls.

    Args:
        base_url: named in the messages.
        max_unscored_calls: this many calls in a row without a single scored sample raise
            `RewardServiceUnavailable` (None: never raise, only warn).
        warn_share: a call with at least this share of unscored samples is logged as a warning.
    """

    def __init__(self, base_url: str, max_unscored_calls: int | None, warn_share: float = 0.5) -> None:
        if max_unscored_calls is not None and max_unscored_calls < 1:
            raise ValueError(f"max_unscored_calls must be at least 1 or None, got {max_unscored_calls}")
        self.base_url = base_url
        self.max_unscored_calls = max_unscored_calls
        self.warn_share = warn_share
        self.unscored_in_a_row = 0
        self._lock = threading.Lock()  # verl calls one client from several threads

    def observe(self, results: Sequence[ScoreResult]) -> None:
        """Record one call's results; raise when the service has scored nothing for too long."""
        if not results:
            return
        errors = [r["error"] for r in results if r["reward"] is None]
        with self._lock:
            self.unscored_in_a_row = self.unscored_in_a_row + 1 if len(errors) == len(results) else 0
            in_a_row = self.unscored_in_a_row
        if len(errors) < self.warn_share * len(results):
            return
        first = next((e for e in errors if e), "no reason given")
        log.warning(
            "reward-server at %s left %d of %d samples unscored (first: %s)",
            self.base_url,
            len(errors),
            len(results),
            first,
        )
        if self.max_unscored_calls is not None and in_a_row >= self.max_unscored_calls:
            raise RewardServiceUnavailable(
                f"no sample scored in the last {in_a_row} calls to reward-server at {self.base_url}; "
                f"stopping rather than training on nothing (last problem: {first})",
                url=self.base_url,
            )
