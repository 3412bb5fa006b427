"""With `serve --redis-url`, /metrics reads queue depth, live and busy workers from Redis on each scrape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from reward_server import metrics
from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.queue.connections import ensure_group
from reward_server.queue.keys import GROUP
from reward_server.schemas import ScoreRequest
from tests.support.prometheus import sample
from tests.support.redis_fixtures import RedisServer, unique_prefix

pytestmark = pytest.mark.redis


@pytest.fixture
def queued_api(redis_server: RedisServer) -> Iterator[tuple[TestClient, str]]:
    prefix = unique_prefix()
    settings = Settings(
        cpu_workers=1, sandbox="none", redis_url=redis_server.url, queue_prefix=prefix, queue_chunk_items=2
    )
    with TestClient(create_app(settings)) as client:
        yield client, prefix
    metrics.set_queue_depth(0)
    metrics.set_live_workers(0)
    metrics.set_busy_workers(0)


def test_queue_gauges_follow_redis(queued_api: tuple[TestClient, str], redis_server: RedisServer) -> None:
    client, prefix = queued_api
    queue = client.app.state.services.queue  # type: ignore[attr-defined]
    assert sample(client, "reward_server_busy_workers") == 0  # no consumer group yet: nobody is busy

    async def enqueue() -> None:
        await ensure_group(queue.redis, queue.keys)
        items = [{"completion": "<answer>1</answer>"} for _ in range(6)]
        await queue.enqueue(ScoreRequest.model_validate({"items": items, "rewards": {"format": 1}}))

    client.portal.call(enqueue)  # type: ignore[union-attr]
    assert sample(client, "reward_server_queue_depth") == 6
    # Two consumers each take a chunk and hold it unacknowledged, as workers do while scoring.
    redis = redis_server.client()
    for consumer in ("worker-a", "worker-b"):
        redis.xreadgroup(GROUP, consumer, {f"{prefix}:chunks": ">"}, count=1)
    assert sample(client, "reward_server_busy_workers") == 2
