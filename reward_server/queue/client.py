"""`JobQueue`: what an API process does with Redis — enqueue, read, cancel and wait for jobs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from reward_server.errors import ServiceUnavailable
from reward_server.logs import request_id_var
from reward_server.queue.config import QueueConfig
from reward_server.queue.connections import OUTAGE_ERRORS, connect, redacted
from reward_server.queue.errors import IdempotencyConflict, QueueFull
from reward_server.queue.job_scripts import JobScripts
from reward_server.queue.jobs import CHUNK_RESULTS, JobInfo, JobProgress, JobStatus
from reward_server.queue.keys import GROUP, Keys
from reward_server.schemas import ScoreRequest, ScoreResult

log = logging.getLogger(__name__)


class QueueUnavailable(ServiceUnavailable):
    """Redis cannot be reached (or lost the job): the call fails now instead of hanging."""


def _number(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def _job_info(job_id: str, fields: dict[str, str]) -> JobInfo | None:
    """The job a hash describes, without results; None when the hash is empty or incomplete."""
    if not fields:
        return None
    try:
        return JobInfo(
            job_id=job_id,
            status=JobStatus(fields["status"]),
            progress=JobProgress(done=int(fields["done"]), total=int(fields["total"])),
            error=fields.get("error") or None,
            created_at=float(fields["created_at"]),
            started_at=_number(fields.get("started_at")),
            finished_at=_number(fields.get("finished_at")),
        )
    except (KeyError, ValueError) as exc:
        log.warning("job %s has a partial record (%s: %s); treated as gone", job_id, type(exc).__name__, exc)
        return None


class JobQueue:
    """Jobs in Redis: a job is split into chunks on one stream that a consumer group of workers reads."""

    def __init__(self, config: QueueConfig, redis: aioredis.Redis | None = None) -> None:
        self.config = config
        self.keys = Keys(config.prefix)
        self.redis = (
            redis if redis is not None else connect(config.redis_url, timeout_s=config.redis_timeout_s)
        )
        self.where = redacted(config.redis_url)
        self.scripts = JobScripts(self.redis, self.keys)

    async def close(self) -> None:
        await self.redis.aclose()

    @asynccontextmanager
    async def reachable(self) -> AsyncIterator[None]:
        """Turn a Redis outage into a 503 that says where the queue is and that a retry may work."""
        try:
            yield
        except OUTAGE_ERRORS as exc:
            raise QueueUnavailable(
                f"the job queue at {self.where} is unreachable ({type(exc).__name__}: {exc}); retry shortly",
                retry_after_s=self.config.retry_after_s,
            ) from exc

    async def enqueue(self, request: ScoreRequest, *, idempotency_key: str | None = None) -> str:
        """Queue `request` in chunks; answer its job id (the first job's, for a reused idempotency key)."""
        body = request.model_dump_json()
        digest = hashlib.sha256(body.encode()).hexdigest()
        config = self.config
        size = config.chunk_items
        chunks = [
            ScoreRequest.model_construct(items=request.items[start : start + size], rewards=request.rewards)
            for start in range(0, len(request.items), size)
        ]
        job_id = uuid.uuid4().hex
        async with self.reachable():
            reply = await self.scripts.enqueue(
                job_id,
                idempotency_key=idempotency_key,
                total=len(request.items),
                max_items=config.max_items,
                max_age_ms=int(config.max_age_s * 1000),
                now=time.time(),
                digest=digest,
                chunk_items=size,
                default_rewards_json=json.dumps(dict(config.default_rewards)),
                result_ttl_ms=int(config.result_ttl_s * 1000),
                request_id=request_id_var.get() or "",
                chunks=[chunk.model_dump_json() for chunk in chunks],
            )
        outcome = reply[0]
        if outcome == "full":
            raise QueueFull(int(reply[1]), config.max_items, config.retry_after_s)
        if outcome == "existing" and reply[2] != digest:
            raise IdempotencyConflict(str(reply[1]))
        return str(reply[1])

    async def get(self, job_id: str, *, with_results: bool = True) -> JobInfo | None:
        """The job's state, with its results once done; None for an unknown, expired or partial job.

        A partial hash (fields written after the job expired, by an older worker) is no job: it is logged
        and answered like an expired one, never as an error.
        """
        async with self.reachable():
            fields = cast(dict[str, str], await self.redis.hgetall(self.keys.job(job_id)))
            info = _job_info(job_id, fields)
            if info is not None and info.status is JobStatus.done and with_results:
                info.results = await self._results(job_id)
        return info

    async def claim_metrics(self, job_id: str) -> bool:
        """True once per done job, for the first reader of its results: that process counts them in its
        metrics, so a job read many times (or by several API replicas) is counted once."""
        async with self.reachable():
            return await self.scripts.claim_metrics(job_id)

    async def request_error(self, job_id: str) -> tuple[list[str | int], str] | None:
        """The field and message of the request error that failed the job, if that is why it failed."""
        async with self.reachable():
            raw = await self.redis.hget(self.keys.job(job_id), "error_field")
        if not raw:
            return None
        cause = json.loads(raw)
        return cause["field"], cause["message"]

    async def _results(self, job_id: str) -> list[ScoreResult]:
        chunks = cast(dict[str, str], await self.redis.hgetall(self.keys.results(job_id)))
        results: list[ScoreResult] = []
        for index in sorted(chunks, key=int):
            results.extend(CHUNK_RESULTS.validate_json(chunks[index]))
        return results

    async def cancel(self, job_id: str) -> JobStatus | None:
        """Cancel an unfinished job; answers its status afterwards, or None when there is no such job."""
        async with self.reachable():
            status = await self.scripts.cancel(job_id, now=time.time())
        return JobStatus(status) if status else None

    async def wait(self, job_id: str, timeout_s: float) -> JobInfo:
        """Block until the job finishes, on its event stream (XREAD BLOCK, no polling loop with sleeps).

        Raises `TimeoutError` after `timeout_s`, and `QueueUnavailable` when Redis stays unreachable for
        longer than `redis_timeout_s` or comes back without the job (restarted without persistence).
        """
        deadline = time.monotonic() + timeout_s
        # A blocking read must return before the socket timeout, or the client would take it for an outage.
        block_s = max(0.05, self.config.redis_timeout_s / 2)
        last_id = "0-0"
        outage_since: float | None = None
        finished = False
        while not finished:
            try:
                status = cast(str | None, await self.redis.hget(self.keys.job(job_id), "status"))
                if status is None:
                    raise QueueUnavailable(
                        f"job {job_id} vanished from the job queue at {self.where} "
                        "(Redis restarted without persistence, or the job expired); resubmit it",
                        retry_after_s=self.config.retry_after_s,
                    )
                finished = JobStatus(status).finished
                remaining = deadline - time.monotonic()
                if finished:
                    break
                if remaining <= 0:
                    raise TimeoutError(f"job {job_id} did not finish within {timeout_s:g} s")
                reply: Any = await self.redis.xread(
                    {self.keys.events(job_id): last_id}, block=int(min(remaining, block_s) * 1000)
                )
                outage_since = None
                for _stream, entries in reply or []:
                    for entry_id, _fields in entries:
                        last_id = entry_id
            except OUTAGE_ERRORS as exc:
                now = time.monotonic()
                outage_since = outage_since or now
                if now - outage_since > self.config.redis_timeout_s or now > deadline:
                    raise QueueUnavailable(
                        f"lost the job queue at {self.where} while waiting for job {job_id} "
                        f"({type(exc).__name__}: {exc}); retry shortly",
                        retry_after_s=self.config.retry_after_s,
                    ) from exc
                # Back off before reconnecting; the outage budget above bounds how long this goes on.
                await asyncio.sleep(min(0.2, self.config.redis_timeout_s / 4))
        info = await self.get(job_id)
        if info is None:
            raise QueueUnavailable(f"job {job_id} expired before its results were read; resubmit it")
        return info

    async def live_workers(self) -> int:
        """Workers whose heartbeat has not run out."""
        async with self.reachable():
            return await self.scripts.live_workers()

    async def busy_workers(self) -> int:
        """Workers holding a delivered, unacknowledged chunk (a dead one counts until it is reclaimed)."""
        async with self.reachable():
            try:
                pending = await self.redis.xpending(self.keys.chunks, GROUP)
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # no worker has started yet
                    return 0
                raise
            return sum(1 for consumer in pending.get("consumers") or [] if int(consumer["pending"]) > 0)

    async def queued_items(self) -> int:
        async with self.reachable():
            return int(await self.redis.get(self.keys.queued_items) or 0)

    async def health(self) -> dict[str, Any]:
        try:
            await self.redis.ping()
            return {
                "queue": {
                    "redis": self.where,
                    "reachable": True,
                    "workers": await self.live_workers(),
                    "queued_items": await self.queued_items(),
                }
            }
        except (RedisError, ServiceUnavailable) as exc:
            return {"queue": {"redis": self.where, "reachable": False, "error": str(exc)}}
