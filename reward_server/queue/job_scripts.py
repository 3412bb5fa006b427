"""Typed calls for the job scripts of `scripts.py`: one method per script, naming its keys and arguments.

A caller passes a job id and named values; which keys a script touches, and in which order its KEYS and
ARGV go, is written once, here, beside nothing else. (`consumers.py` does the same for the scripts that keep
the consumer group clean.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from reward_server.queue import scripts
from reward_server.queue.keys import GROUP, Keys

__all__ = ["JobScripts"]


def _text(value: Any) -> str | None:
    return None if value is None or value is False else str(value)


class JobScripts:
    """The job scripts registered on one client, under one key prefix."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.keys = keys
        self._enqueue = redis.register_script(scripts.ENQUEUE)
        self._start = redis.register_script(scripts.START)
        self._record = redis.register_script(scripts.RECORD)
        self._fail = redis.register_script(scripts.FAIL)
        self._ack = redis.register_script(scripts.ACK)
        self._cancel = redis.register_script(scripts.CANCEL)
        self._touch = redis.register_script(scripts.TOUCH)
        self._heartbeat = redis.register_script(scripts.HEARTBEAT)
        self._live_workers = redis.register_script(scripts.LIVE_WORKERS)
        self._claim_metrics = redis.register_script(scripts.CLAIM_METRICS)

    def _job_keys(self, job_id: str) -> list[str]:
        keys = self.keys
        return [keys.job(job_id), keys.request(job_id), keys.results(job_id), keys.events(job_id)]

    async def enqueue(
        self,
        job_id: str,
        *,
        idempotency_key: str | None,
        total: int,
        max_items: int,
        max_age_ms: int,
        now: float,
        digest: str,
        chunk_items: int,
        default_rewards_json: str,
        result_ttl_ms: int,
        request_id: str,
        chunks: Sequence[str],
    ) -> list[str]:
        """Create the job and queue its chunks (JSON each). Answers `["created", job_id]`,
        `["existing", job_id, digest]` for a reused idempotency key, or `["full", waiting_items]`."""
        keys = self.keys
        reply = await self._enqueue(
            keys=[
                keys.queued_items,
                keys.idempotency(idempotency_key) if idempotency_key else "",
                keys.job(job_id),
                keys.request(job_id),
                keys.chunks,
                keys.events(job_id),
            ],
            args=[
                job_id,
                total,
                max_items,
                max_age_ms,
                now,
                digest,
                chunk_items,
                default_rewards_json,
                keys.job(""),
                result_ttl_ms,
                request_id,
                *chunks,
            ],
        )
        return [str(part) for part in reply]

    async def start(self, job_id: str, *, now: float) -> str | None:
        """Mark the job running (a worker took a chunk); its status afterwards, None when it is gone."""
        keys = self.keys
        return _text(await self._start(keys=[keys.job(job_id), keys.events(job_id)], args=[now]))

    async def record(
        self,
        job_id: str,
        *,
        entry_id: str,
        index: int,
        n_items: int,
        results_json: str,
        now: float,
        consumer: str,
    ) -> str:
        """Write a chunk's results once and acknowledge it: `recorded`, `duplicate` or `dropped`."""
        keys = self.keys
        outcome = await self._record(
            keys=[*self._job_keys(job_id), keys.chunks, keys.queued_items],
            args=[GROUP, entry_id, index, n_items, results_json, now, consumer],
        )
        return str(outcome)

    async def fail(
        self, job_id: str, *, entry_id: str, n_items: int, message: str, cause_json: str, now: float
    ) -> str | None:
        """Fail the job with `message` (and the request error's field as `cause_json`, or "") and
        acknowledge the chunk; the job's status before, None when it is gone."""
        keys = self.keys
        status = await self._fail(
            keys=[*self._job_keys(job_id), keys.chunks, keys.queued_items],
            args=[GROUP, entry_id, n_items, message, cause_json, now],
        )
        return _text(status)

    async def ack(self, *, entry_id: str, n_items: int) -> None:
        """Acknowledge and delete a chunk nobody will score (its job gone or finished)."""
        keys = self.keys
        await self._ack(keys=[keys.chunks, keys.queued_items], args=[GROUP, entry_id, n_items])

    async def cancel(self, job_id: str, *, now: float) -> str | None:
        """Cancel an unfinished job; its status afterwards, None when there is no such job."""
        return _text(await self._cancel(keys=self._job_keys(job_id), args=[now]))

    async def touch(self, job_id: str, *, consumer: str, entry_id: str) -> str | None:
        """Reset the chunk's idle time while `consumer` still owns it; the job's status (None: gone)."""
        keys = self.keys
        status = await self._touch(keys=[keys.chunks, keys.job(job_id)], args=[GROUP, consumer, entry_id])
        return _text(status)

    async def claim_metrics(self, job_id: str) -> bool:
        """True for the first caller only, once the job is done: that caller counts its results."""
        return bool(await self._claim_metrics(keys=[self.keys.job(job_id)], args=[]))

    async def heartbeat(self, *, consumer: str, ttl_s: int) -> None:
        """Count `consumer` among the live workers for `ttl_s` more seconds (Redis clock)."""
        await self._heartbeat(keys=[self.keys.workers], args=[consumer, ttl_s])

    async def live_workers(self) -> int:
        """Workers whose heartbeat has not run out."""
        return int(await self._live_workers(keys=[self.keys.workers]))
