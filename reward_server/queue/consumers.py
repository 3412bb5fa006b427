"""Typed calls for the scripts that keep the consumer group clean: redelivery, leaving, reaping.

Each wrapper names the keys and arguments of its script (`scripts.py`), so a caller cannot pass them in the
wrong order. Every worker process joins the group under a fresh name; without these, each process start
would leave one more consumer in the group forever.
"""

from __future__ import annotations

import contextlib

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from reward_server.queue import scripts
from reward_server.queue.jobs import JobStatus
from reward_server.queue.keys import GROUP, Keys


class ConsumerScripts:
    """The group-hygiene scripts registered on one client, under one key prefix."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self.keys = keys
        self._redelivered = redis.register_script(scripts.REDELIVERED)
        self._release = redis.register_script(scripts.RELEASE_CONSUMER)
        self._reap = redis.register_script(scripts.REAP_CONSUMERS)

    async def mark_redelivered(self, job_id: str, *, entry_id: str, n_items: int) -> JobStatus | None:
        """Count a redelivery on the job; None (the chunk acknowledged and dropped) when the job is gone."""
        keys = self.keys
        status = await self._redelivered(
            keys=[keys.job(job_id), keys.chunks, keys.queued_items], args=[GROUP, entry_id, n_items]
        )
        return JobStatus(status) if status else None

    async def release(self, consumer: str) -> bool:
        """Delete `consumer` from the group when it holds nothing pending; True when it was deleted."""
        with contextlib.suppress(ResponseError):  # NOGROUP: nothing to leave
            return bool(await self._release(keys=[self.keys.chunks], args=[GROUP, consumer]))
        return False

    async def reap(self, *, idle_ms: int) -> list[str]:
        """Delete dead workers' consumers (nothing pending, idle over `idle_ms`, no live heartbeat)."""
        try:
            reaped = await self._reap(keys=[self.keys.chunks, self.keys.workers], args=[GROUP, idle_ms])
        except ResponseError as exc:
            if "NOGROUP" in str(exc) or "no such key" in str(exc):
                return []
            raise
        return [str(name) for name in reaped]
