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
import signal
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from reward_server.config import Settings
from reward_server.errors import RequestError, UnknownReward, http_error
from reward_server.logs import request_id_var
from reward_server.pipeline import Scorer
from reward_server.queue import scripts
from reward_server.queue.client import OUTAGE_ERRORS, connect, ensure_group, redacted
from reward_server.queue.consumers import ConsumerScripts
from reward_server.queue.jobs import CHUNK_RESULTS, JobStatus
from reward_server.queue.keys import GROUP, Keys
from reward_server.schemas import ScoreRequest
from reward_server.services import Services

log = logging.getLogger(__name__)
T = TypeVar("T")

Entry = tuple[str, dict[str, str], int]  # stream entry id, fields, times delivered


class Worker:
    """Scores chunks with this process's `Services` until `stop` is set."""

    def __init__(self, settings: Settings, services: Services, redis: aioredis.Redis | None = None) -> None:
        self.settings = settings
        self.services = services
        self.keys = Keys(settings.queue_prefix)
        self.redis = redis if redis is not None else connect(settings)
        self.where = redacted(settings.redis_url or "")
        self.consumer = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.reclaim_ms = max(1, int(settings.queue_reclaim_after_s * 1000))
        # Touch a chunk in progress well within the reclaim time, and wake up often enough to reclaim others'.
        self.touch_interval_s = settings.queue_reclaim_after_s / 3
        self.block_ms = max(
            10, int(min(settings.queue_reclaim_after_s / 2, settings.redis_timeout_s / 2, 1.0) * 1000)
        )
        self.heartbeat_s = max(0.1, min(2.0, settings.queue_reclaim_after_s / 3))
        self._start = self.redis.register_script(scripts.START)
        self._record = self.redis.register_script(scripts.RECORD)
        self._fail = self.redis.register_script(scripts.FAIL)
        self._ack = self.redis.register_script(scripts.ACK)
        self._touch = self.redis.register_script(scripts.TOUCH)
        self._heartbeat_script = self.redis.register_script(scripts.HEARTBEAT)
        self.consumers = ConsumerScripts(self.redis, self.keys)
        # A consumer idle this long, with nothing pending and no live heartbeat, belongs to a dead worker.
        self.reap_idle_ms = int(max(settings.queue_reclaim_after_s, self.heartbeat_s * 3) * 2000)
        self._claim_cursor = "0-0"
        self.chunks_recorded = 0

    async def close(self) -> None:
        """Leave the live set, and the consumer group when nothing is pending (else it stays claimable)."""
        with contextlib.suppress(*OUTAGE_ERRORS):
            await self.redis.zrem(self.keys.workers, self.consumer)
            await self.consumers.release(self.consumer)
        await self.redis.aclose()

    async def run(self, stop: asyncio.Event) -> None:
        """Take chunks while a slot is free (`worker_concurrency`); finish those in hand when stopped."""
        slots = asyncio.Semaphore(self.settings.worker_concurrency)
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
                await self._heartbeat_script(keys=[self.keys.workers], args=[self.consumer, ttl_s])
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
            job_id, index = fields["job_id"], int(fields["index"])
            start, stop = int(fields["start"]), int(fields["stop"])
        except (KeyError, ValueError):
            # Not a chunk this version can read (another version's, or written by hand): left pending it
            # would be reclaimed and crash a worker for ever; no job can be failed, so it is dropped.
            log.error("dropped stream entry %s: not a chunk of a job (fields %s)", entry_id, fields)
            with contextlib.suppress(*OUTAGE_ERRORS):
                await self._ack(keys=[self.keys.chunks, self.keys.queued_items], args=[GROUP, entry_id, 0])
            return
        try:
            await self._score_chunk(entry_id, job_id, index, start, stop, deliveries)
        except OUTAGE_ERRORS as exc:
            # The entry stays pending: once Redis is back, a worker reclaims it after queue_reclaim_after_s.
            log.warning("lost the job queue while on chunk %s of job %s: %s", index, job_id, exc)
        except Exception:
            log.exception("chunk %s of job %s crashed its handler", index, job_id)

    async def _score_chunk(
        self, entry_id: str, job_id: str, index: int, start: int, stop: int, deliveries: int
    ) -> None:
        keys, n_items = self.keys, stop - start
        job_keys = [keys.job(job_id), keys.request(job_id), keys.results(job_id), keys.events(job_id)]
        queue_keys = [keys.chunks, keys.queued_items]
        if deliveries > 1:
            log.warning("reclaimed chunk %s of job %s (delivery %d)", index, job_id, deliveries)
            if await self.consumers.mark_redelivered(job_id, entry_id=entry_id, n_items=n_items) is None:
                log.info("dropped chunk %s of job %s: the job is gone", index, job_id)
                return
        if deliveries > self.settings.queue_max_deliveries:
            message = (
                f"items {start}..{stop - 1} were delivered {deliveries} times without a result: "
                "the workers scoring them died or stalled"
            )
            await self._fail(
                keys=job_keys + queue_keys, args=self._fail_args(entry_id, n_items, message, None)
            )
            return

        status = await self._start(keys=[keys.job(job_id), keys.events(job_id)], args=[time.time()])
        raw = await self.redis.hget(keys.request(job_id), str(index)) if status == JobStatus.running else None
        defaults, request_id = (None, None)
        if raw is not None:
            defaults, request_id = await self.redis.hmget(keys.job(job_id), ["default_rewards", "request_id"])
        if raw is None or defaults is None:  # cancelled, failed, expired or lost: nothing to score
            await self._ack(keys=queue_keys, args=[GROUP, entry_id, n_items])
            return
        # Every line logged while scoring this chunk carries the id of the API request that queued it.
        request_id_var.set(str(request_id) if request_id else None)

        try:
            chunk = ScoreRequest.model_validate_json(raw)
            default_rewards = json.loads(defaults)
        except ValueError as exc:  # pydantic's ValidationError and JSONDecodeError are ValueErrors
            message = f"the queued request of items {start}..{stop - 1} is unreadable: {exc}"[:2000]
            await self._fail(
                keys=job_keys + queue_keys, args=self._fail_args(entry_id, n_items, message, None)
            )
            return
        scorer = Scorer(self.services.components, default_rewards)
        started = time.perf_counter()
        scoring = asyncio.create_task(scorer.score(chunk))
        try:
            while not scoring.done():
                await asyncio.wait({scoring}, timeout=self.touch_interval_s)
                if scoring.done():
                    break
                try:
                    status = await self._touch(
                        keys=[keys.chunks, keys.job(job_id)], args=[GROUP, self.consumer, entry_id]
                    )
                except OUTAGE_ERRORS:
                    continue
                if status is None or JobStatus(status).finished:  # cancelled meanwhile: stop scoring
                    scoring.cancel()
                    await asyncio.gather(scoring, return_exceptions=True)
                    await self._ack(keys=queue_keys, args=[GROUP, entry_id, n_items])
                    return
        finally:
            if not scoring.done():  # cancelled job, or this handler failed: the scoring goes too
                scoring.cancel()
                await asyncio.gather(scoring, return_exceptions=True)

        try:
            results = scoring.result()
        except (UnknownReward, RequestError) as exc:
            # The chunk's item index is the job's less `start`; the API answers with the stored cause.
            answer = http_error(exc.shifted(start) if isinstance(exc, UnknownReward) else exc)
            assert isinstance(answer, RequestError)
            cause = {"field": list(answer.field), "message": answer.message}
            await self._fail(
                keys=job_keys + queue_keys, args=self._fail_args(entry_id, n_items, str(answer), cause)
            )
            return
        except Exception as exc:
            log.exception("scoring chunk %s of job %s failed", index, job_id)
            message = f"internal error scoring items {start}..{stop - 1}: {type(exc).__name__}: {exc}"
            await self._fail(
                keys=job_keys + queue_keys, args=self._fail_args(entry_id, n_items, message, None)
            )
            return

        payload = CHUNK_RESULTS.dump_json(results).decode()
        args: list[Any] = [GROUP, entry_id, index, n_items, payload, time.time(), self.consumer]
        outcome = await self._retrying(lambda: self._record(keys=job_keys + queue_keys, args=args))
        if outcome == "recorded":
            self.chunks_recorded += 1
        seconds = time.perf_counter() - started
        log.info(
            "job %s chunk %s: %d items scored in %.3f s (%s)",
            job_id,
            index,
            n_items,
            seconds,
            outcome,
            extra={"job_id": job_id, "chunk": index, "items": n_items, "seconds": round(seconds, 4)},
        )

    def _fail_args(
        self, entry_id: str, n_items: int, message: str, cause: dict[str, Any] | None
    ) -> list[Any]:
        return [GROUP, entry_id, n_items, message, json.dumps(cause) if cause else "", time.time()]

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry a result write through a short outage rather than throw away the scoring work."""
        deadline = time.monotonic() + max(self.settings.queue_reclaim_after_s, self.settings.redis_timeout_s)
        while True:
            try:
                return await call()
            except OUTAGE_ERRORS:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(self.heartbeat_s)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Build this process's scoring services and work until SIGTERM/SIGINT (or `stop`)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    services = Services.create(settings)
    await services.start()
    worker = Worker(settings, services)
    try:
        await worker.run(stop)
    finally:
        await worker.close()
        await services.close()
