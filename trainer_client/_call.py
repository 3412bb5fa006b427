"""One `RewardClient` call in flight: its chunks, their retries, and the results they fill in."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from trainer_client._retry import RetryPolicy, parse_retry_after
from trainer_client.errors import RewardClientError
from trainer_client.types import ScoreResult

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that mean the client is pointed at the wrong place or holds the wrong key: every retry
# would fail the same way, so the call raises instead of quietly scoring the whole batch as errors.
_FATAL_STATUSES = frozenset({401, 403, 404, 405})


@dataclass
class Chunk:
    """Items sent together, with their positions in the caller's list and the chunk's history."""

    positions: list[int]
    items: list[dict[str, Any]]
    attempts: int = 0
    last_problem: str = "not sent yet"
    last_answer: str | None = None  # the server's last non-200 answer, kept when a later attempt gets none

    def history(self) -> str:
        """The last problem, plus the server's last answer when a later attempt got no answer at all
        (a timeout cut short by the call's deadline says less than the 503 before it)."""
        if self.last_answer is None or self.last_answer == self.last_problem:
            return self.last_problem
        return f"{self.last_problem}; the server's last answer: {self.last_answer}"


@dataclass
class ScoreCall:
    """The shared state of one call: every chunk writes its items' results into `results`.

    `live` holds every chunk that may still own unanswered items (413 halves and 422 remainders
    included), so the caller can report each one with its last problem when the deadline passes.
    """

    http: httpx.AsyncClient
    weights: dict[str, float] | None
    deadline: float
    semaphore: asyncio.Semaphore
    retry: RetryPolicy
    rng: random.Random
    attempt_timeout_s: float | None
    results: list[ScoreResult | None]
    live: list[Chunk] = field(default_factory=list)

    def report_unanswered(self, budget_s: float) -> None:
        """Give every item still without a result the deadline error; the newest chunk knows best."""
        for chunk in reversed(self.live):
            for position, item in zip(chunk.positions, chunk.items, strict=True):
                if self.results[position] is None:
                    self.results[position] = error_result(
                        item["id"],
                        f"reward client: no answer within the {budget_s:g} s deadline after "
                        f"{chunk.attempts} attempt(s); last problem: {chunk.history()}",
                    )

    async def send(self, chunk: Chunk) -> None:
        """Send one chunk until it is answered, refused for good, or out of time; fill `results`."""
        body: dict[str, Any] = {"items": chunk.items}
        if self.weights is not None:
            body["rewards"] = self.weights
        while True:
            if self._attempt_timeout_s() is None:
                return  # report_unanswered gives the items the chunk's last problem
            async with self.semaphore:
                timeout_s = self._attempt_timeout_s()
                if timeout_s is None:
                    return
                response = await self._post(chunk, body, timeout_s)
            hint_s: float | None = None
            if response is not None:
                finished, hint_s = await self._handle(chunk, response)
                if finished:
                    return
            wait_s = self._retry_wait_s(chunk, hint_s)
            if wait_s is None:
                return
            await asyncio.sleep(wait_s)

    def _attempt_timeout_s(self) -> float | None:
        """How long the next attempt may take; None once the call's deadline has passed."""
        remaining = self.deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return None
        return remaining if self.attempt_timeout_s is None else min(remaining, self.attempt_timeout_s)

    async def _post(self, chunk: Chunk, body: dict[str, Any], timeout_s: float) -> httpx.Response | None:
        """One attempt; None (and the reason in `chunk.last_problem`) when no answer came back."""
        chunk.attempts += 1
        chunk.last_problem = f"attempt {chunk.attempts} was still waiting for the server's answer"
        try:
            return await self.http.post("/v1/score", json=body, timeout=timeout_s)
        except httpx.TimeoutException:
            chunk.last_problem = f"request timed out after {timeout_s:.3g} s"
        except httpx.TransportError as error:
            chunk.last_problem = f"{type(error).__name__}: {error}"
        return None

    async def _handle(self, chunk: Chunk, response: httpx.Response) -> tuple[bool, float | None]:
        """Act on the server's answer: (True, None) when the chunk is done with (filled, failed,
        split or resent in parts), else (False, the server's Retry-After hint in seconds or None).
        Raises `RewardClientError` for statuses every retry would get again (401/403/404/405)."""
        status = response.status_code
        if status == 200:
            self._fill(chunk, response)
            return True, None
        if status in _FATAL_STATUSES:
            raise RewardClientError(_error_text(response), status_code=status, url=str(response.url))
        if status == 413 and len(chunk.items) > 1:
            await self._split(chunk)
            return True, None
        if status == 422 and len(chunk.items) > 1:
            await self._drop_invalid(chunk, response)
            return True, None
        if status not in _RETRY_STATUSES:
            self._fail(chunk, f"HTTP {status}: {_error_text(response)}")
            return True, None
        chunk.last_problem = chunk.last_answer = f"HTTP {status}: {_error_text(response)}"
        return False, parse_retry_after(response.headers.get("Retry-After"))

    def _retry_wait_s(self, chunk: Chunk, hint_s: float | None) -> float | None:
        """Seconds to wait before the next attempt; None (the chunk failed) when none is left in time."""
        if chunk.attempts >= self.retry.max_attempts:
            self._fail(
                chunk,
                f"reward client: gave up after {chunk.attempts} attempts; last: {chunk.history()}",
            )
            return None
        if hint_s is None:
            wait_s = self.retry.backoff_s(chunk.attempts, self.rng)
        else:
            wait_s = self.retry.after_server_hint_s(hint_s, self.rng)
        if asyncio.get_running_loop().time() + wait_s >= self.deadline:
            # Sleeping past the deadline cannot help; report now rather than at the deadline.
            self._fail(
                chunk,
                f"reward client: next retry in {wait_s:.3g} s would pass the call's deadline; "
                f"{chunk.attempts} attempt(s), last: {chunk.history()}",
            )
            return None
        return wait_s

    def _fill(self, chunk: Chunk, response: httpx.Response) -> None:
        try:
            answered = response.json()["results"]
        except (ValueError, KeyError, TypeError):
            self._fail(chunk, "reward client: the server's 200 answer has no 'results' list")
            return
        if not isinstance(answered, list) or len(answered) != len(chunk.items):
            count = len(answered) if isinstance(answered, list) else "no"
            self._fail(chunk, f"reward client: server answered {count} results for {len(chunk.items)} items")
            return
        for position, item, result in zip(chunk.positions, chunk.items, answered, strict=True):
            self.results[position] = as_result(item["id"], result)

    def _fail(self, chunk: Chunk, message: str) -> None:
        for position, item in zip(chunk.positions, chunk.items, strict=True):
            if self.results[position] is None:
                self.results[position] = error_result(item["id"], message)

    async def _split(self, chunk: Chunk) -> None:
        """413: the server's batch limit is below our chunk size; halve the chunk until it fits."""
        half = math.ceil(len(chunk.items) / 2)
        parts = [
            Chunk(chunk.positions[:half], chunk.items[:half], last_problem="HTTP 413: batch too large"),
            Chunk(chunk.positions[half:], chunk.items[half:], last_problem="HTTP 413: batch too large"),
        ]
        self.live.extend(parts)
        await asyncio.gather(*(self.send(part) for part in parts))

    async def _drop_invalid(self, chunk: Chunk, response: httpx.Response) -> None:
        """422: give the items the server named their validation errors and send the others again.

        A 422 that names no item (a bad batch-wide field) fails every item with the server's message.
        """
        problems = _item_problems(response)
        if not problems or any(index >= len(chunk.items) for index in problems):
            self._fail(chunk, f"HTTP 422: {_error_text(response)}")
            return
        keep = [i for i in range(len(chunk.items)) if i not in problems]
        for index, message in problems.items():
            self.results[chunk.positions[index]] = error_result(
                chunk.items[index]["id"], f"HTTP 422: {message}"
            )
        if keep:
            rest = Chunk([chunk.positions[i] for i in keep], [chunk.items[i] for i in keep])
            self.live.append(rest)
            await self.send(rest)


def as_result(item_id: str, result: Any) -> ScoreResult:
    if not isinstance(result, Mapping):
        return error_result(item_id, "reward client: malformed result from the server")
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


def error_result(item_id: str, message: str) -> ScoreResult:
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
