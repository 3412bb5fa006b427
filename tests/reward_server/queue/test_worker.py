"""The worker's delivery rules, in process against a real Redis: exactly-once results, touch, poison."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from reward_server.cli import build_parser, settings_from_args
from reward_server.config import Settings
from reward_server.queue.client import JobQueue
from reward_server.queue.connections import ensure_group
from reward_server.queue.jobs import JobStatus
from reward_server.queue.keys import GROUP
from reward_server.queue.worker import Worker
from reward_server.rewards.base import ComponentScore
from reward_server.schemas import ScoreItem
from reward_server.services import Services, queue_config, start_services
from tests.support.queue_helpers import format_request, worker_settings
from tests.support.redis_fixtures import RedisServer

pytestmark = pytest.mark.redis


@pytest.fixture
async def queue(redis_server: RedisServer) -> AsyncIterator[JobQueue]:
    job_queue = JobQueue(queue_config(worker_settings(redis_server)))
    await ensure_group(job_queue.redis, job_queue.keys)  # what a worker does when it starts
    yield job_queue
    await job_queue.close()


async def test_a_chunk_scored_twice_is_counted_once(queue: JobQueue) -> None:
    job_id = await queue.enqueue(format_request(3))
    redis, keys = queue.redis, queue.keys
    [[_, [(entry_id, fields)]]] = await redis.xreadgroup(GROUP, "first", {keys.chunks: ">"}, count=1)
    await redis.xclaim(keys.chunks, GROUP, "second", 0, [entry_id])  # as XAUTOCLAIM does after a crash

    async def record_as(consumer: str, reward: float) -> str:
        results = json.dumps([{"id": i, "reward": reward} for i in range(2)])
        return await queue.scripts.record(
            job_id,
            entry_id=entry_id,
            index=int(fields["index"]),
            n_items=2,
            results_json=results,
            now=0,
            consumer=consumer,
        )

    assert await record_as("first", 1.0) == "recorded"
    assert await record_as("second", 2.0) == "duplicate"
    info = await queue.get(job_id)
    assert info is not None
    assert info.status is JobStatus.queued  # nobody called START in this test; only the record counts
    assert (info.progress.done, info.progress.total) == (2, 3)
    assert await redis.hlen(keys.results(job_id)) == 1
    assert json.loads(await redis.hget(keys.results(job_id), "0"))[0]["reward"] == 1.0  # the first one won
    assert await queue.queued_items() == 1


class SlowFormat:
    """A component that takes longer than the reclaim time, to show a live worker keeps its chunk."""

    name = "format"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cancelled = False
        self.started = asyncio.Event()

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore]:
        self.started.set()
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return [ComponentScore(1.0, {}) for _ in items]


async def run_workers(
    settings: Settings, services: Services, count: int, job_id: str, queue: JobQueue
) -> Any:
    stop = asyncio.Event()
    workers = [Worker(queue_config(settings), services.score_chunk) for _ in range(count)]
    runs = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        return await queue.wait(job_id, timeout_s=30)
    finally:
        stop.set()
        await asyncio.gather(*runs)
        for worker in workers:
            await worker.close()


async def test_a_live_worker_keeps_a_chunk_that_outlasts_the_reclaim_time(redis_server: RedisServer) -> None:
    # Touches every 1/3 s; the chunk takes 2.5 reclaim periods. A looser margin than needed: a busy CI box
    # can stall an event loop for a good fraction of a second.
    settings = worker_settings(redis_server, queue_reclaim_after_s=1.0)
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    try:
        services.components["format"] = SlowFormat(seconds=2.5)
        job_id = await queue.enqueue(format_request(2))
        info = await run_workers(settings, services, 2, job_id, queue)
        assert info.status is JobStatus.done
        assert await queue.redis.hget(queue.keys.job(job_id), "redelivered") == "0"
    finally:
        await queue.close()
        await services.close()


async def test_a_chunk_that_keeps_losing_its_workers_fails_its_job(redis_server: RedisServer) -> None:
    settings = worker_settings(redis_server, queue_reclaim_after_s=0.2, queue_max_deliveries=1)
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    try:
        await ensure_group(queue.redis, queue.keys)
        job_id = await queue.enqueue(format_request(2))
        # A worker takes the chunk and dies without a word: it is delivered again, once too often.
        await queue.redis.xreadgroup(GROUP, "dead", {queue.keys.chunks: ">"}, count=1)
        info = await run_workers(settings, services, 1, job_id, queue)
        assert info.status is JobStatus.failed
        assert info.error is not None and "delivered 2 times" in info.error
        assert await queue.queued_items() == 0
    finally:
        await queue.close()
        await services.close()


def test_the_worker_command_takes_the_queue_settings() -> None:
    args = build_parser().parse_args(
        ["worker", "--redis-url", "redis://q:6379/1", "--concurrency", "4", "--reclaim-after-s", "2.5"]
        + ["--sandbox", "local", "--cpu-workers", "3"]
    )
    settings = settings_from_args(args)
    assert settings.redis_url == "redis://q:6379/1"
    assert settings.worker_concurrency == 4
    assert settings.queue_reclaim_after_s == 2.5
    assert settings.sandbox == "local"
    assert settings.cpu_workers == 3


def test_the_worker_command_needs_a_redis_url(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["worker"])
    assert "--redis-url" in capsys.readouterr().err


async def test_enqueueing_the_same_job_twice_is_a_no_op(queue: JobQueue) -> None:
    """What a client retry does when Redis ran the script but the reply was lost with the connection."""
    request = format_request(3)
    job_id = await queue.enqueue(request)
    keys = queue.keys
    chunks_before = await queue.redis.xlen(keys.chunks)
    reply = await queue.scripts.enqueue(
        job_id,
        idempotency_key=None,
        total=3,
        max_items=100,
        max_age_ms=60_000,
        now=0,
        digest="digest",
        chunk_items=2,
        default_rewards_json="{}",
        result_ttl_ms=60_000,
        request_id="",
        chunks=["{}", "{}"],
    )
    assert reply == ["created", job_id]
    assert await queue.redis.xlen(keys.chunks) == chunks_before
    assert await queue.queued_items() == 3


async def test_cancelling_a_running_job_stops_the_worker_scoring_it(redis_server: RedisServer) -> None:
    settings = worker_settings(redis_server, queue_reclaim_after_s=0.3)
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    stop = asyncio.Event()
    worker = Worker(queue_config(settings), services.score_chunk)
    try:
        slow = SlowFormat(seconds=30)
        services.components["format"] = slow
        job_id = await queue.enqueue(format_request(2))
        run = asyncio.create_task(worker.run(stop))
        # Cancelled once the component is scoring (a cancel that lands between the worker's claim and
        # the component's start stops the scoring before it reaches the component: nothing to see).
        await asyncio.wait_for(slow.started.wait(), timeout=30)
        assert await queue.cancel(job_id) is JobStatus.cancelled
        started = asyncio.get_running_loop().time()
        while await queue.queued_items():  # the worker notices at its next touch and drops the chunk
            assert asyncio.get_running_loop().time() - started < 10, "the worker kept scoring a cancelled job"
            await asyncio.sleep(0.01)
        assert slow.cancelled
        stop.set()
        await run
    finally:
        await worker.close()
        await queue.close()
        await services.close()
