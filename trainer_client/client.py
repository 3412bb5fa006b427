"""`RewardClient`: what a training node uses to get rewards from reward-server.

A call splits its items into chunks, sends them concurrently, retries what is worth retrying
(connection errors, timeouts, 429 with its `Retry-After`, 5xx) with exponential backoff and full
jitter, and stops at one deadline for the whole call. It never hangs and never loses an item:
whatever could not be scored in time comes back with an `error` saying why, in input order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import random
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from trainer_client._loop import LoopThread
from trainer_client._retry import RetryPolicy, parse_retry_after
from trainer_client.errors import RewardClientError
from trainer_client.types import ScoreResult

__all__ = ["RewardClient"]

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that mean the client is pointed at the wrong place or holds the wrong key: every retry
# would fail the same way, so the call raises instead of quietly scoring the whole batch as errors.
_FATAL_STATUSES = frozenset({401, 403, 404, 405})
_REPORT_GRACE_S = 0.05


@dataclass
class _Chunk:
    """Items sent together, with their positions in the caller's list and the chunk's history."""

    positions: list[int]
    items: list[dict[str, Any]]
    attempts: int = 0
    last_problem: str = "not sent yet"


class RewardClient:
    """Batched, concurrent, retrying client for `POST /v1/score`.

    >>> client = RewardClient("http://localhost:8000")
    >>> client.score([{"completion": r"\\boxed{2}", "task": {"type": "math", "answer": "2"}}])
    [{'id': '0', 'reward': 1.0, 'scores': {'accuracy': 1.0}, 'details': {...}, 'error': None}]

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
        """
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        if chunk_size < 1 or max_concurrency < 1:
            raise ValueError("chunk_size and max_concurrency must be at least 1")
        self.base_url = base_url.rstrip("/")
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
        with self._loop_lock:  # trainers call from several threads (verl's reward workers do)
            if self._loop_thread is None or not self._loop_thread.usable():
                self._loop_thread = LoopThread(name="reward-client")
            loop_thread = self._loop_thread
        return loop_thread.submit(self.ascore(items, rewards, timeout_s=timeout_s))

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
        deadline = loop.time() + budget_s
        weights = dict(rewards) if rewards is not None else self.rewards
        sent = [_with_id(item, position) for position, item in enumerate(items)]
        results: list[ScoreResult | None] = [None] * len(sent)
        if not sent:
            return []
        http = self._http_client(loop)
        semaphore = asyncio.Semaphore(self.max_concurrency)
        chunks = [
            _Chunk(
                list(range(start, min(start + self.chunk_size, len(sent)))),
                sent[start : start + self.chunk_size],
            )
            for start in range(0, len(sent), self.chunk_size)
        ]
        live: list[_Chunk] = []
        tasks = [
            asyncio.create_task(self._score_chunk(http, chunk, weights, deadline, semaphore, results, live))
            for chunk in chunks
        ]
        try:
            # The chunks stop themselves at the deadline with their own diagnosis; the grace only
            # decides who reports, the outer wait is the guarantee that nothing runs on.
            done, pending = await asyncio.wait(
                tasks,
                timeout=max(0.0, deadline - loop.time()) + _REPORT_GRACE_S,
                return_when=asyncio.FIRST_EXCEPTION,
            )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]  # RewardClientError (misconfiguration) or a bug
        # Whatever is still unanswered ran out of time: report it per item, never hang. The newest
        # chunk holding a position (after 413 splits) knows its latest problem best.
        for chunk in reversed(live):
            for position in chunk.positions:
                if results[position] is None:
                    results[position] = _error_result(
                        sent[position]["id"],
                        f"reward client: no answer within the {budget_s:g} s deadline after "
                        f"{chunk.attempts} attempt(s); last problem: {chunk.last_problem}",
                    )
        return [
            r if r is not None else _error_result(sent[i]["id"], "reward client: lost")
            for i, r in enumerate(results)
        ]

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

    async def _score_chunk(
        self,
        http: httpx.AsyncClient,
        chunk: _Chunk,
        weights: dict[str, float] | None,
        deadline: float,
        semaphore: asyncio.Semaphore,
        results: list[ScoreResult | None],
        live: list[_Chunk],
    ) -> None:
        """Send one chunk until it is answered, refused for good, or out of time; fill `results`."""
        live.append(chunk)
        loop = asyncio.get_running_loop()
        body: dict[str, Any] = {"items": chunk.items}
        if weights is not None:
            body["rewards"] = weights
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return  # ascore reports the items with the chunk's last problem
            async with semaphore:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                timeout = (
                    remaining if self.attempt_timeout_s is None else min(remaining, self.attempt_timeout_s)
                )
                chunk.attempts += 1
                chunk.last_problem = f"attempt {chunk.attempts} was still waiting for the server's answer"
                try:
                    response = await http.post("/v1/score", json=body, timeout=timeout)
                except httpx.TimeoutException:
                    response = None
                    chunk.last_problem = f"request timed out after {timeout:.3g} s"
                except httpx.TransportError as error:
                    response = None
                    chunk.last_problem = f"{type(error).__name__}: {error}"
            wait_s: float | None = None
            if response is not None:
                status = response.status_code
                if status == 200:
                    self._fill_from_response(chunk, response, results)
                    return
                if status in _FATAL_STATUSES:
                    raise RewardClientError(_error_text(response), status_code=status, url=str(response.url))
                if status == 413 and len(chunk.items) > 1:
                    await self._split_and_retry(http, chunk, weights, deadline, semaphore, results, live)
                    return
                if status == 422 and len(chunk.items) > 1:
                    await self._retry_without_bad_items(
                        http, chunk, response, weights, deadline, semaphore, results, live
                    )
                    return
                if status not in _RETRY_STATUSES:
                    self._fail_chunk(chunk, f"HTTP {status}: {_error_text(response)}", results)
                    return
                chunk.last_problem = f"HTTP {status}: {_error_text(response)}"
                wait_s = parse_retry_after(response.headers.get("Retry-After"))
            if chunk.attempts >= self.retry.max_attempts:
                self._fail_chunk(
                    chunk,
                    f"reward client: gave up after {chunk.attempts} attempts; last: {chunk.last_problem}",
                    results,
                )
                return
            if wait_s is None:
                wait_s = self.retry.backoff_s(chunk.attempts, self._rng)
            else:
                wait_s = self.retry.after_server_hint_s(wait_s, self._rng)
            if loop.time() + wait_s >= deadline:
                # Sleeping past the deadline cannot help; report now rather than at the deadline.
                self._fail_chunk(
                    chunk,
                    f"reward client: next retry in {wait_s:.3g} s would pass the call's deadline; "
                    f"{chunk.attempts} attempt(s), last: {chunk.last_problem}",
                    results,
                )
                return
            await asyncio.sleep(wait_s)

    def _fill_from_response(
        self, chunk: _Chunk, response: httpx.Response, results: list[ScoreResult | None]
    ) -> None:
        try:
            answered = response.json()["results"]
        except (ValueError, KeyError, TypeError):
            self._fail_chunk(chunk, "reward client: the server's 200 answer has no 'results' list", results)
            return
        if not isinstance(answered, list) or len(answered) != len(chunk.items):
            count = len(answered) if isinstance(answered, list) else "no"
            self._fail_chunk(
                chunk, f"reward client: server answered {count} results for {len(chunk.items)} items", results
            )
            return
        for position, item, result in zip(chunk.positions, chunk.items, answered, strict=True):
            results[position] = _as_result(item["id"], result)

    def _fail_chunk(self, chunk: _Chunk, message: str, results: list[ScoreResult | None]) -> None:
        for position, item in zip(chunk.positions, chunk.items, strict=True):
            if results[position] is None:
                results[position] = _error_result(item["id"], message)

    async def _split_and_retry(
        self,
        http: httpx.AsyncClient,
        chunk: _Chunk,
        weights: dict[str, float] | None,
        deadline: float,
        semaphore: asyncio.Semaphore,
        results: list[ScoreResult | None],
        live: list[_Chunk],
    ) -> None:
        """413: the server's batch limit is below our chunk size; halve the chunk until it fits."""
        half = math.ceil(len(chunk.items) / 2)
        parts = [
            _Chunk(chunk.positions[:half], chunk.items[:half], last_problem="HTTP 413: batch too large"),
            _Chunk(chunk.positions[half:], chunk.items[half:], last_problem="HTTP 413: batch too large"),
        ]
        await asyncio.gather(
            *(self._score_chunk(http, part, weights, deadline, semaphore, results, live) for part in parts)
        )

    async def _retry_without_bad_items(
        self,
        http: httpx.AsyncClient,
        chunk: _Chunk,
        response: httpx.Response,
        weights: dict[str, float] | None,
        deadline: float,
        semaphore: asyncio.Semaphore,
        results: list[ScoreResult | None],
        live: list[_Chunk],
    ) -> None:
        """422: give the items the server named their validation errors and send the others again.

        A 422 that names no item (a bad batch-wide field) fails every item with the server's message.
        """
        problems = _item_problems(response)
        if not problems or any(index >= len(chunk.items) for index in problems):
            self._fail_chunk(chunk, f"HTTP 422: {_error_text(response)}", results)
            return
        keep = [i for i in range(len(chunk.items)) if i not in problems]
        for index, message in problems.items():
            results[chunk.positions[index]] = _error_result(chunk.items[index]["id"], f"HTTP 422: {message}")
        if keep:
            rest = _Chunk([chunk.positions[i] for i in keep], [chunk.items[i] for i in keep])
            await self._score_chunk(http, rest, weights, deadline, semaphore, results, live)


def _with_id(item: Mapping[str, Any], position: int) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise TypeError(
            f"items[{position}] must be a dict in the /v1/score item shape, got {type(item).__name__}"
        )
    sent = dict(item)
    sent["id"] = str(sent["id"]) if sent.get("id") is not None else str(position)
    return sent


def _as_result(item_id: str, result: Any) -> ScoreResult:
    if not isinstance(result, Mapping):
        return _error_result(item_id, "reward client: malformed result from the server")
    reward = result.get("reward")
    return ScoreResult(
        id=item_id,
        reward=float(reward) if isinstance(reward, int | float) else None,
        scores=dict(result.get("scores") or {}),
        details=dict(result.get("details") or {}),
        error=result.get("error")
        if reward is not None
        else (result.get("error") or "server returned no reward"),
    )


def _error_result(item_id: str, message: str) -> ScoreResult:
    return ScoreResult(id=item_id, reward=None, scores={}, details={}, error=message)


def _error_text(response: httpx.Response) -> str:
    """The server's own words: FastAPI's `detail` when there is one, else the body's start."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    detail = payload.get("detail", payload) if isinstance(payload, dict) else payload
    if isinstance(detail, list):
        parts = []
        for entry in detail[:5]:
            if isinstance(entry, dict):
                loc = ".".join(str(p) for p in entry.get("loc", []))
                parts.append(f"{loc}: {entry.get('msg', '')}" if loc else str(entry.get("msg", "")))
            else:
                parts.append(str(entry))
        return "; ".join(parts)
    return str(detail)[:300]


def _item_problems(response: httpx.Response) -> dict[int, str]:
    """Map item index → validation message for 422 entries located at ``body.items.<i>...``."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return {}
    problems: dict[int, str] = {}
    if not isinstance(detail, list):
        return {}
    for entry in detail:
        loc = entry.get("loc", []) if isinstance(entry, dict) else []
        if len(loc) >= 3 and loc[0] == "body" and loc[1] == "items" and isinstance(loc[2], int):
            field = ".".join(str(p) for p in loc[3:]) or "item"
            message = f"{field}: {entry.get('msg', 'invalid')}"
            problems[loc[2]] = f"{problems[loc[2]]}; {message}" if loc[2] in problems else message
        else:
            return {}  # a batch-wide problem: no item can be sent as it is
    return problems
