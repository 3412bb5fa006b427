"""`reward-server worker`: reads chunks from the stream's consumer group, scores them, records results once.

Delivery is at-least-once: a chunk stays in the group's pending-entries list until its results are recorded,
and a worker that has not touched a pending chunk for `queue_reclaim_after_s` (because it was SIGKILLed, or
its machine vanished) loses it to the next worker's XAUTOCLAIM. Results are exactly-once (`scripts.RECORD`).
A chunk whose job has gone is acknowledged and dropped without writing to the job. A worker that stops with
nothing pending leaves the consumer group; workers delete dead workers' idle consumers as they go.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from reward_server.errors import RequestError, UnknownReward, http_error
from reward_server.logs import request_id_var
from reward_server.queue.config import QueueConfig
from reward_server.queue.connections import OUTAGE_ERRORS, connect, ensure_group, redacted
from reward_server.queue.consumers import ConsumerScripts
from reward_server.queue.job_scripts import JobScripts
from reward_server.queue.jobs import CHUNK_RESULTS, JobStatus
from reward_server.queue.keys import GROUP, Keys
from reward_server.schemas import ScoreRequest, ScoreResult

log = logging.getLogger(__name__)
T = TypeVar("T")

Entry = tuple[str, dict[str, str], int]  # stream entry id, fields, times delivered

# What a worker scores with: a chunk's request and the default weights of the process that queued it.
ScoreChunk = Callable[[ScoreRequest, Mapping[str, float]], Coroutine[Any, Any, list[ScoreResult]]]


@dataclass(frozen=True)
class Chunk:
    """One stream entry in hand: items `start`..`stop - 1` of a job."""

    entry_id: str
    job_id: str
    index: int
    start: int
    stop: int
    deliveries: int

    @property
    def n_items(self) -> int:
        return self.stop - self.start

    @property
    def span(self) -> str:
        return f"items {self.start}..{self.stop - 1}"


class Worker:
    """Scores chunks with `score` until `stop` is set."""

    def __init__(self, config: QueueConfig, score: ScoreChunk, redis: aioredis.Redis | None = None) -> None:
        self.config = config
        self.score = score
        self.keys = Keys(config.prefix)
        self.redis = (
            redis if redis is not None else connect(config.redis_url, timeout_s=config.redis_timeout_s)
        )
        self.where = redacted(config.redis_url)
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        reclaim_after_s = config.reclaim_after_s
        self.reclaim_ms = max(1, int(reclaim_after_s * 1000))
        # Touch a chunk in progress well within the reclaim time, and wake up often enough to reclaim others'.
        self.touch_interval_s = reclaim_after_s / 3
        self.block_ms = max(10, int(min(reclaim_after_s / 2, config.redis_timeout_s / 2, 1.0) * 1000))
        self.heartbeat_s = max(0.1, min(2.0, reclaim_after_s / 3))
        self.scripts = JobScripts(self.redis, self.keys)
        self.consumers = ConsumerScripts(self.redis, self.keys)
        # A consumer idle this long, with nothing pending and no live heartbeat, belongs to a dead worker.
        self.reap_idle_ms = int(max(reclaim_after_s, self.heartbeat_s * 3) * 2000)
        self._claim_cursor = "0-0"

    async def close(self) -> None:
        """Leave the live set, and the consumer group when nothing is pending (else it stays claimable)."""
        with contextlib.suppress(*OUTAGE_ERRORS):
            await self.redis.zrem(self.keys.workers, self.consumer)
            await self.consumers.release(self.consumer)
        await self.redis.aclose()

    async def run(self, stop: asyncio.Event) -> None:
        """Take chunks while a slot is free (`worker_concurrency`); finish those in hand when stopped."""
        slots = asyncio.Semaphore(self.config.worker_concurrency)
        tasks: set[asyncio.Task[None]] = set()
        heartbeat = asyncio.create_task(self._heartbeat(stop))
        log.info("worker %s reading %s (prefix %s)", self.consumer, self.where, self.keys.prefix)
        down_since: float | None = None
        try:
            while not stop.is_set():
                await slots.acquire()
                try:
                    entry = await self._next_entry()
                except OUTAGE_ERRORS as exc:
                    slots.release()
                    log.warning("job queue at %s unreachable (%s); retrying", self.where, exc)
                    down_since = down_since or time.monotonic()
                    await _sleep_unless(stop, self.heartbeat_s)  # backoff while Redis is down
                    continue
                except ResponseError as exc:
                    slots.release()
                    if "NOGROUP" not in str(exc):
                        raise
                    # A fresh Redis, or one restarted without its data: (re)create the group and go on.
                    with contextlib.suppress(*OUTAGE_ERRORS):
                        await ensure_group(self.redis, self.keys)
                    continue
                if down_since is not None:
                    log.info(
                        "job queue at %s reachable again after %.1f s",
                        self.where,
                        time.monotonic() - down_since,
                    )
                    down_since = None
                if entry is None:
                    slots.release()
                    continue
                task = asyncio.create_task(self._process(*entry))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                task.add_done_callback(lambda _: slots.release())
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        """Keep this worker counted among the live ones (what /v1/score checks before it waits)."""
        ttl_s = max(1, round(self.heartbeat_s * 3))
        next_reap = time.monotonic() + self.reap_idle_ms / 2000
        while not stop.is_set():
            with contextlib.suppress(*OUTAGE_ERRORS):
                await self.scripts.heartbeat(consumer=self.consumer, ttl_s=ttl_s)
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + self.reap_idle_ms / 2000
                    reaped = await self.consumers.reap(idle_ms=self.reap_idle_ms)
                    if reaped:
                        log.info("removed %d dead consumers from the group: %s", len(reaped), reaped)
            await _sleep_unless(stop, self.heartbeat_s)

    async def _next_entry(self) -> Entry | None:
        """A chunk abandoned by a dead worker first (XAUTOCLAIM), else a new one (blocking XREADGROUP)."""
        claim: Any = await self.redis.xautoclaim(
            self.keys.chunks, GROUP, self.consumer, self.reclaim_ms, start_id=self._claim_cursor, count=1
        )
        self._claim_cursor, claimed = claim[0], claim[1]
        for entry_id, fields in claimed:
            if fields:
                pending = await self.redis.xpending_range(
                    self.keys.chunks, GROUP, min=entry_id, max=entry_id, count=1
                )
                deliveries = int(pending[0]["times_delivered"]) if pending else 1
                return entry_id, fields, deliveries
        reply: Any = await self.redis.xreadgroup(
            GROUP, self.consumer, {self.keys.chunks: ">"}, count=1, block=self.block_ms
        )
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                return entry_id, fields, 1
        return None

    async def _process(self, entry_id: str, fields: dict[str, str], deliveries: int) -> None:
        try:
            chunk = Chunk(
                entry_id,
                fields["job_id"],
                int(fields["index"]),
                int(fields["start"]),
                int(fields["stop"]),
                deliveries,
            )
        except (KeyError, ValueError):
            # Not a chunk this version can read (another version's, or written by hand): left pending it
            # would be reclaimed and crash a worker for ever; no job can be failed, so it is dropped.
            log.error("dropped stream entry %s: not a chunk of a job (fields %s)", entry_id, fields)
            with contextlib.suppress(*OUTAGE_ERRORS):
                await self.scripts.ack(entry_id=entry_id, n_items=0)
            return
        try:
            await self._score_chunk(chunk)
        except OUTAGE_ERRORS as exc:
            # The entry stays pending: once Redis is back, a worker reclaims it after queue_reclaim_after_s.
            log.warning("lost the job queue while on chunk %s of job %s: %s", chunk.index, chunk.job_id, exc)
        except Exception:
            log.exception("chunk %s of job %s crashed its handler", chunk.index, chunk.job_id)

    async def _score_chunk(self, chunk: Chunk) -> None:
        """Load the chunk, score it while keeping it claimed, and record its results (or fail its job)."""
        if not await self._deliverable(chunk):
            return
        loaded = await self._load(chunk)
        if loaded is None:
            return
        started = time.perf_counter()
        try:
            results = await self._score_claimed(chunk, *loaded)
        except (UnknownReward, RequestError) as exc:
            await self._fail_request(chunk, exc)
            return
        except Exception as exc:
            log.exception("scoring chunk %s of job %s failed", chunk.index, chunk.job_id)
            await self._fail(chunk, f"internal error scoring {chunk.span}: {type(exc).__name__}: {exc}")
            return
        if results is not None:
            await self._record(chunk, results, started)

    async def _deliverable(self, chunk: Chunk) -> bool:
        """False for a redelivered chunk whose job is gone, or one delivered too often (its job fails)."""
        if chunk.deliveries > 1:
            log.warning(
                "reclaimed chunk %s of job %s (delivery %d)", chunk.index, chunk.job_id, chunk.deliveries
            )
            redelivered = await self.consumers.mark_redelivered(
                chunk.job_id, entry_id=chunk.entry_id, n_items=chunk.n_items
            )
            if redelivered is None:
                log.info("dropped chunk %s of job %s: the job is gone", chunk.index, chunk.job_id)
                return False
        if chunk.deliveries > self.config.max_deliveries:
            await self._fail(
                chunk,
                f"{chunk.span} were delivered {chunk.deliveries} times without a result: "
                "the workers scoring them died or stalled",
            )
            return False
        return True

    async def _load(self, chunk: Chunk) -> tuple[ScoreRequest, dict[str, float]] | None:
        """The chunk's request and its job's default weights; None (the chunk dropped, or its job
        failed when the request is unreadable) when there is nothing to score."""
        keys, job_id = self.keys, chunk.job_id
        status = await self.scripts.start(job_id, now=time.time())
        raw = (
            await self.redis.hget(keys.request(job_id), str(chunk.index))
            if status == JobStatus.running
            else None
        )
        defaults, request_id = (None, None)
        if raw is not None:
            defaults, request_id = await self.redis.hmget(keys.job(job_id), ["default_rewards", "request_id"])
        if raw is None or defaults is None:  # cancelled, failed, expired or lost: nothing to score
            await self.scripts.ack(entry_id=chunk.entry_id, n_items=chunk.n_items)
            return None
        # Every line logged while scoring this chunk carries the id of the API request that queued it.
        request_id_var.set(str(request_id) if request_id else None)
        try:
            return ScoreRequest.model_validate_json(raw), json.loads(defaults)
        except ValueError as exc:  # pydantic's ValidationError and JSONDecodeError are ValueErrors
            await self._fail(chunk, f"the queued request of {chunk.span} is unreadable: {exc}"[:2000])
            return None

    async def _score_claimed(
        self, chunk: Chunk, request: ScoreRequest, default_rewards: dict[str, float]
    ) -> list[ScoreResult] | None:
        """Score the chunk, touching its entry so nobody reclaims it; None (scoring stopped, the chunk
        acknowledged) when its job finished meanwhile (cancelled)."""
        scoring = asyncio.create_task(self.score(request, default_rewards))
        try:
            while not scoring.done():
                await asyncio.wait({scoring}, timeout=self.touch_interval_s)
                if not scoring.done() and not await self._still_wanted(chunk):
                    await _cancel(scoring)
                    await self.scripts.ack(entry_id=chunk.entry_id, n_items=chunk.n_items)
                    return None
        finally:
            await _cancel(scoring)  # this handler failed: the scoring goes too
        return scoring.result()

    async def _still_wanted(self, chunk: Chunk) -> bool:
        """Touch the entry; False once its job is gone or finished. An outage is no answer: go on."""
        try:
            status = await self.scripts.touch(chunk.job_id, consumer=self.consumer, entry_id=chunk.entry_id)
        except OUTAGE_ERRORS:
            return True
        return status is not None and not JobStatus(status).finished

    async def _fail_request(self, chunk: Chunk, exc: UnknownReward | RequestError) -> None:
        """The request itself is at fault: fail the job naming the field, numbered within the job
        (`UnknownReward.shifted`: the chunk's item index becomes the job's)."""
        answer = http_error(exc.shifted(chunk.start) if isinstance(exc, UnknownReward) else exc)
        assert isinstance(answer, RequestError)
        cause = {"field": list(answer.field), "message": answer.message}
        await self._fail(chunk, str(answer), cause)

    async def _fail(self, chunk: Chunk, message: str, cause: dict[str, Any] | None = None) -> None:
        await self.scripts.fail(
            chunk.job_id,
            entry_id=chunk.entry_id,
            n_items=chunk.n_items,
            message=message,
            cause_json=json.dumps(cause) if cause else "",
            now=time.time(),
        )

    async def _record(self, chunk: Chunk, results: list[ScoreResult], started: float) -> None:
        """Write the results once (through a short outage) and log the chunk's time."""
        payload = CHUNK_RESULTS.dump_json(results).decode()
        outcome = await self._retrying(
            lambda: self.scripts.record(
                chunk.job_id,
                entry_id=chunk.entry_id,
                index=chunk.index,
                n_items=chunk.n_items,
                results_json=payload,
                now=time.time(),
                consumer=self.consumer,
            )
        )
        seconds = time.perf_counter() - started
        log.info(
            "job %s chunk %s: %d items scored in %.3f s (%s)",
            chunk.job_id,
            chunk.index,
            chunk.n_items,
            seconds,
            outcome,
            extra={
                "job_id": chunk.job_id,
                "chunk": chunk.index,
                "items": chunk.n_items,
                "seconds": round(seconds, 4),
            },
        )

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry a result write through a short outage rather than throw away the scoring work."""
        deadline = time.monotonic() + max(self.config.reclaim_after_s, self.config.redis_timeout_s)
        while True:
            try:
                return await call()
            except OUTAGE_ERRORS:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(self.heartbeat_s)


async def _cancel(task: asyncio.Task[Any]) -> None:
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
