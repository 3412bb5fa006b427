"""`RewardClient`: what a training node uses to get rewards from reward-server.

A call splits its items into chunks, sends them concurrently, retries what is worth retrying
(connection errors, timeouts, 429 with its `Retry-After`, 5xx) with exponential backoff and full
jitter, and stops at one deadline for the whole call. It never hangs and never loses an item:
whatever could not be scored in time comes back with an `error` saying why, in input order.

It also never lets a run train on nothing: before its first call it asks `/healthz` (an
unreachable or not-ready service raises `RewardServiceUnavailable` at once, naming the URL), it
logs a warning for every call that comes back mostly unscored, and it raises after
`max_unscored_calls` calls in a row without a single scored sample.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading
import weakref
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any, TypeVar

import httpx

from trainer_client._call import Chunk, ScoreCall, error_result
from trainer_client._health import UnscoredWatch, check_base_url, check_service
from trainer_client._loop import LoopThread
from trainer_client._retry import RetryPolicy
from trainer_client.types import ScoreResult

__all__ = ["RewardClient"]

_REPORT_GRACE_S = 0.05
_HEALTH_TIMEOUT_S = 10.0
T = TypeVar("T")


class RewardClient:
    """Batched, concurrent, retrying client for `POST /v1/score`.

    Example::

        client = RewardClient("http://localhost:8000")
        item = {"completion": r"\\boxed{2}", "task": {"type": "math", "answer": "2"}}
        client.score([item], rewards={"accuracy": 1.0})
        # [{'id': '0', 'reward': 1.0, 'scores': {'accuracy': 1.0}, 'details': {...}, 'error': None}]

    `score` is for plain (synchronous) code, `ascore` for coroutines and `submit` starts a call in the
    background and returns a `concurrent.futures.Future`, so a trainer can generate while it scores.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        rewards: Mapping[str, float] | None = None,
        timeout_s: float = 300.0,
        attempt_timeout_s: float | None = None,
        chunk_size: int = 256,
        max_concurrency: int = 4,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
        check_health: bool = True,
        max_unscored_calls: int | None = 3,
    ) -> None:
        """Args:
        base_url: the service root, e.g. ``http://reward-host:8000``.
        api_key: sent as ``Authorization: Bearer KEY``.
        rewards: default component weights for calls that give none (None: the server's defaults).
        timeout_s: the deadline of one whole call; items not scored by then come back with an error.
        attempt_timeout_s: the longest one HTTP attempt may take (None: whatever is left of the deadline).
        chunk_size: items per request; chunks are sent concurrently.
        max_concurrency: requests in flight at once for one client.
        retry: backoff settings for connection errors, timeouts, 429 and 5xx.
        seed: seeds the backoff jitter (tests).
        check_health: ask ``/healthz`` before the first call and raise `RewardServiceUnavailable`
            at once when the service is unreachable or cannot score.
        max_unscored_calls: after this many calls in a row in which no sample was scored, the
            call raises `RewardServiceUnavailable` (None: only warn). Calls that come back with at
            least half of their samples unscored are logged as warnings on the
            ``trainer_client`` logger either way.

        Raises ValueError for a URL that is not a base URL (``http://host:8000/v1/score``).
        """
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if chunk_size < 1 or max_concurrency < 1:
            raise ValueError("chunk_size and max_concurrency must be at least 1")
        self.base_url = check_base_url(base_url)
        self.rewards = dict(rewards) if rewards is not None else None
        self.timeout_s = timeout_s
        self.attempt_timeout_s = attempt_timeout_s
        self.chunk_size = chunk_size
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        self._headers = {"Accept": "application/json", **(headers or {})}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._transport = transport
        self._rng = random.Random(seed)
        # One httpx client per event loop: an AsyncClient's connections belong to the loop that opened them.
        self._http_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._loop_thread: LoopThread | None = None
        self._loop_lock = threading.Lock()
        self._health_checked = not check_health
        self.watch = UnscoredWatch(self.base_url, max_unscored_calls)

    # ------------------------------------------------------------------ public API

    def score(
        self,
        items: Sequence[Mapping[str, Any]],
        rewards: Mapping[str, float] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> list[ScoreResult]:
        """Score `items` and block until every one has a result (at most `timeout_s` plus a moment)."""
        return self.submit(items, rewards, timeout_s=timeout_s).result()

    def submit(
        self,
        items: Sequence[Mapping[str, Any]],
        rewards: Mapping[str, float] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> concurrent.futures.Future[list[ScoreResult]]:
        """Start scoring in the client's background event loop and return at once."""
        return self.submit_coroutine(self.ascore(items, rewards, timeout_s=timeout_s))

    def submit_coroutine(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coroutine` in the client's background event loop (where its connections live)."""
        with self._loop_lock:  # trainers call from several threads (verl's reward workers do)
            if self._loop_thread is None or not self._loop_thread.usable():
                self._loop_thread = LoopThread(name="reward-client")
            loop_thread = self._loop_thread
        return loop_thread.submit(coroutine)

    async def ascore(
        self,
        items: Sequence[Mapping[str, Any]],
        rewards: Mapping[str, float] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> list[ScoreResult]:
        """Score `items` concurrently in chunks; results align with `items`.

        Items are dicts in the `/v1/score` item shape (`prompt`, `completion`, `task`, `language`,
        `rewards`, optional `id`; an item without an `id` gets its position as one). Raises
        `RewardClientError` only when the service rejects the call itself (401/403/404/405).
        """
        budget_s = self.timeout_s if timeout_s is None else timeout_s
        loop = asyncio.get_running_loop()
        sent = [_with_id(item, position) for position, item in enumerate(items)]
        if not sent:
            return []
        http = self._http_client(loop)
        if not self._health_checked:
            await check_service(http, self.base_url, timeout_s=_HEALTH_TIMEOUT_S)
            self._health_checked = True
        call = ScoreCall(
            http=http,
            weights=dict(rewards) if rewards is not None else self.rewards,
            deadline=loop.time() + budget_s,
            semaphore=asyncio.Semaphore(self.max_concurrency),
            retry=self.retry,
            rng=self._rng,
            attempt_timeout_s=self.attempt_timeout_s,
            results=[None] * len(sent),
        )
        call.live = [
            Chunk(
                list(range(start, min(start + self.chunk_size, len(sent)))),
                sent[start : start + self.chunk_size],
            )
            for start in range(0, len(sent), self.chunk_size)
        ]
        tasks = [asyncio.create_task(call.send(chunk)) for chunk in call.live]
        try:
            # The chunks stop themselves at the deadline with their own diagnosis; the grace only
            # decides who reports, the outer wait is the guarantee that nothing runs on.
            done, _ = await asyncio.wait(
                tasks,
                timeout=max(0.0, call.deadline - loop.time()) + _REPORT_GRACE_S,
                return_when=asyncio.FIRST_EXCEPTION,
            )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]  # RewardClientError (misconfiguration) or a bug
        call.report_unanswered(budget_s)  # whatever is still unanswered ran out of time: never hang
        results = [
            r if r is not None else error_result(sent[i]["id"], "reward client: no answer (internal error)")
            for i, r in enumerate(call.results)
        ]
        self.watch.observe(results)  # warns; raises after too many calls with nothing scored
        return results

    def check(self, timeout_s: float = _HEALTH_TIMEOUT_S) -> None:
        """Ask ``/healthz`` now; raise `RewardServiceUnavailable` (naming the URL) unless it can score.

        Trainers call this before loading their models, so a wrong URL fails in seconds.
        """
        self.submit_coroutine(self.acheck(timeout_s)).result()

    async def acheck(self, timeout_s: float = _HEALTH_TIMEOUT_S) -> None:
        """`check` for coroutines."""
        await check_service(self._http_client(asyncio.get_running_loop()), self.base_url, timeout_s)
        self._health_checked = True

    async def aclose(self) -> None:
        """Close the connections opened from the running event loop."""
        http = self._http_by_loop.pop(asyncio.get_running_loop(), None)
        if http is not None:
            await http.aclose()

    def close(self) -> None:
        """Close the background loop used by `score`/`submit` and its connections."""
        if self._loop_thread is not None:
            loop_thread, self._loop_thread = self._loop_thread, None
            if loop_thread.usable():
                loop_thread.submit(self.aclose()).result(timeout=10)
            loop_thread.stop()

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> RewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ internals

    def _http_client(self, loop: asyncio.AbstractEventLoop) -> httpx.AsyncClient:
        http = self._http_by_loop.get(loop)
        if http is None or http.is_closed:
            limits = httpx.Limits(
                max_connections=self.max_concurrency, max_keepalive_connections=self.max_concurrency
            )
            http = httpx.AsyncClient(
                base_url=self.base_url, headers=self._headers, limits=limits, transport=self._transport
            )
            self._http_by_loop[loop] = http
        return http


def _with_id(item: Mapping[str, Any], position: int) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise TypeError(
            f"items[{position}] must be a dict in the /v1/score item shape, got {type(item).__name__}"
        )
    sent = dict(item)
    sent["id"] = str(sent["id"]) if sent.get("id") is not None else str(position)
    return sent
