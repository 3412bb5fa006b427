"""Queue hygiene against a real redis-server: vanished jobs stay gone, consumers do not pile up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.queue.client import JobQueue
from reward_server.queue.connections import ensure_group
from reward_server.queue.consumers import ConsumerScripts
from reward_server.queue.jobs import JobStatus
from reward_server.queue.keys import GROUP
from reward_server.queue.worker import Worker
from reward_server.services import queue_config, start_services
from tests.support.queue_helpers import format_request, worker_settings
from tests.support.redis_fixtures import RedisServer

pytestmark = pytest.mark.redis


def settings_for(server: RedisServer, **overrides: Any) -> Settings:
    """A worker's settings with a short reclaim time, so a dead worker's chunk is taken over quickly."""
    return worker_settings(server, **{"queue_reclaim_after_s": 0.2, **overrides})


async def until(condition: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 30) -> None:
    """Poll `condition` until it holds (a deadline for a hung test, not a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, f"still not {what} after {timeout_s} s"
        await asyncio.sleep(0.02)


async def consumer_names(queue: JobQueue) -> set[str]:
    return {c["name"] for c in await queue.redis.xinfo_consumers(queue.keys.chunks, GROUP)}


async def test_a_chunk_redelivered_after_its_job_expired_is_dropped_without_recreating_the_job(
    redis_server: RedisServer,
) -> None:
    settings = settings_for(redis_server)
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    keys = queue.keys
    worker = Worker(queue_config(settings), services.score_chunk)
    stop = asyncio.Event()
    try:
        await ensure_group(queue.redis, keys)
        job_id = await queue.enqueue(format_request(2))
        # A worker takes the chunk and dies; meanwhile the job's keys expire.
        await queue.redis.xreadgroup(GROUP, "dead", {keys.chunks: ">"}, count=1)
        await queue.redis.delete(keys.job(job_id), keys.request(job_id), keys.events(job_id))
        run = asyncio.create_task(worker.run(stop))

        async def acknowledged() -> bool:
            return int((await queue.redis.xpending(keys.chunks, GROUP))["pending"]) == 0

        await until(acknowledged, "acknowledged")
        stop.set()
        await run
        assert await queue.redis.exists(keys.job(job_id)) == 0  # no hash without a TTL left behind
        assert await queue.queued_items() == 0
        assert await queue.redis.xlen(keys.chunks) == 0
        assert await queue.get(job_id) is None
    finally:
        stop.set()
        await worker.close()
        await queue.close()
        await services.close()


def test_a_partial_job_record_answers_404_never_500(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server)
    client = redis_server.client()
    # What a worker before this fix wrote after a job expired: one counter, no status, no TTL.
    client.hset(f"{settings.queue_prefix}:job:leftover", "redelivered", 1)
    client.hset(f"{settings.queue_prefix}:job:garbled", mapping={"status": "running", "done": "x"})
    with TestClient(create_app(settings)) as api:
        for job_id in ("leftover", "garbled"):
            response = api.get(f"/v1/jobs/{job_id}")
            assert response.status_code == 404, response.text
            assert response.json()["detail"][0]["loc"] == ["path", "job_id"]


async def test_a_worker_that_stops_cleanly_leaves_the_consumer_group(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server)
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    try:
        await ensure_group(queue.redis, queue.keys)
        job_id = await queue.enqueue(format_request(4))
        worker, stop = Worker(queue_config(settings), services.score_chunk), asyncio.Event()
        run = asyncio.create_task(worker.run(stop))
        info = await queue.wait(job_id, timeout_s=30)
        assert info.status is JobStatus.done
        assert worker.consumer in await consumer_names(queue)
        stop.set()
        await run
        await worker.close()
        assert worker.consumer not in await consumer_names(queue)
    finally:
        await queue.close()
        await services.close()


async def test_a_consumer_with_a_chunk_pending_is_never_deleted(redis_server: RedisServer) -> None:
    queue = JobQueue(queue_config(settings_for(redis_server)))
    consumers = ConsumerScripts(queue.redis, queue.keys)
    try:
        await ensure_group(queue.redis, queue.keys)
        await queue.enqueue(format_request(2))
        await queue.redis.xreadgroup(GROUP, "holder", {queue.keys.chunks: ">"}, count=1)
        await queue.redis.xgroup_createconsumer(queue.keys.chunks, GROUP, "idle")
        assert await consumers.release("holder") is False  # its chunk must stay claimable
        assert await consumers.release("idle") is True
        assert await consumer_names(queue) == {"holder"}
        assert int((await queue.redis.xpending(queue.keys.chunks, GROUP))["pending"]) == 1
    finally:
        await queue.close()


async def test_dead_consumers_with_nothing_pending_are_reaped(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server)
    queue = JobQueue(queue_config(settings))
    consumers = ConsumerScripts(queue.redis, queue.keys)
    try:
        await ensure_group(queue.redis, queue.keys)
        await queue.enqueue(format_request(2))
        await queue.redis.xreadgroup(GROUP, "dead-holding", {queue.keys.chunks: ">"}, count=1)
        for name in ("dead-idle", "live-idle"):
            await queue.redis.xgroup_createconsumer(queue.keys.chunks, GROUP, name)
        now = int((await queue.redis.time())[0])
        await queue.redis.zadd(queue.keys.workers, {"live-idle": now + 60, "dead-idle": now - 5})
        await asyncio.sleep(0.1)  # every consumer is now idle for longer than the 50 ms below
        assert await consumers.reap(idle_ms=50) == ["dead-idle"]
        assert await consumer_names(queue) == {"dead-holding", "live-idle"}

        # A running worker reaps on its own, from its heartbeat loop.
        await queue.redis.xgroup_createconsumer(queue.keys.chunks, GROUP, "dead-later")
        services = await start_services(settings)
        worker, stop = Worker(queue_config(settings), services.score_chunk), asyncio.Event()
        run = asyncio.create_task(worker.run(stop))
        try:

            async def reaped() -> bool:
                return "dead-later" not in await consumer_names(queue)

            await until(reaped, "reaped")
            # The live worker stays; dead-holding goes too once the worker has reclaimed its chunk.
            assert "live-idle" in await consumer_names(queue)
        finally:
            stop.set()
            await run
            await worker.close()
            await services.close()
    finally:
        await queue.close()


async def test_a_stream_entry_that_is_no_chunk_is_dropped_not_redelivered_for_ever(
    redis_server: RedisServer,
) -> None:
    settings = settings_for(redis_server)
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    try:
        await ensure_group(queue.redis, queue.keys)
        bad = await queue.redis.xadd(queue.keys.chunks, {"job": "x", "index": "not a number"})
        job_id = await queue.enqueue(format_request(2))
        worker, stop = Worker(queue_config(settings), services.score_chunk), asyncio.Event()
        run = asyncio.create_task(worker.run(stop))
        assert (await queue.wait(job_id, timeout_s=30)).status is JobStatus.done

        async def dropped() -> bool:
            pending = await queue.redis.xpending(queue.keys.chunks, GROUP)
            return int(pending["pending"]) == 0 and not await queue.redis.xrange(queue.keys.chunks, bad, bad)

        await until(dropped, "dropped")
        stop.set()
        await run
        await worker.close()
        assert worker.consumer not in await consumer_names(queue)  # nothing left pending on it
    finally:
        await queue.close()
        await services.close()


async def test_a_chunk_whose_queued_request_is_unreadable_fails_its_job_at_once(
    redis_server: RedisServer,
) -> None:
    settings = settings_for(redis_server, queue_max_deliveries=1000)
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    try:
        await ensure_group(queue.redis, queue.keys)
        job_id = await queue.enqueue(format_request(2))
        await queue.redis.hset(queue.keys.request(job_id), "0", "{not json")
        worker, stop = Worker(queue_config(settings), services.score_chunk), asyncio.Event()
        run = asyncio.create_task(worker.run(stop))
        info = await queue.wait(job_id, timeout_s=30)
        assert info.status is JobStatus.failed
        assert info.error is not None and "unreadable" in info.error
        assert int((await queue.redis.xpending(queue.keys.chunks, GROUP))["pending"]) == 0
        stop.set()
        await run
        await worker.close()
    finally:
        await queue.close()
        await services.close()
