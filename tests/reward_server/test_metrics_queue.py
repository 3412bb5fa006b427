"""With `serve --redis-url`, /metrics reads queue depth, live and busy workers from Redis on each scrape,
and counts the items queue workers scored from their results."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from reward_server import metrics
from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.queue.connections import ensure_group
from reward_server.queue.keys import GROUP
from reward_server.schemas import ScoreRequest
from tests.support.prometheus import increase, labels, sample, samples
from tests.support.queue_helpers import wait_for_job
from tests.support.redis_fixtures import RedisServer, unique_prefix, wait_for_workers

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


GOOD = "<think>t</think><answer>\\boxed{1}</answer>"
ITEMS = [
    {"id": "no-task", "completion": GOOD},  # accuracy needs a task: invalid_item
    {
        "id": "bad-gold",
        "completion": GOOD,
        "task": {"type": "math", "answer": "."},
    },  # empty gold: unusable_gold
    {"id": "fine", "completion": GOOD, "task": {"type": "math", "answer": "1"}},
]
ERRORS = "reward_server_item_errors_total"
EXPECTED = {
    labels(component="accuracy", failure="invalid_item"): 1,
    labels(component="accuracy", failure="unusable_gold"): 1,
}


@pytest.fixture
def worker_api(
    queued_api: tuple[TestClient, str],
    redis_server: RedisServer,
    spawn_worker: Callable[..., subprocess.Popen[bytes]],
) -> TestClient:
    client, prefix = queued_api
    spawn_worker(redis_server.url, prefix)
    wait_for_workers(redis_server.client(), prefix, 1)
    return client


def test_item_errors_scored_by_a_worker_are_counted_once_by_component_and_failure(
    worker_api: TestClient,
) -> None:
    before = samples(worker_api, ERRORS)
    response = worker_api.post("/v1/score", json={"items": ITEMS, "rewards": {"accuracy": 1, "format": 1}})
    assert response.status_code == 200, response.text
    assert [r["error"] is None for r in response.json()["results"]] == [False, False, True]
    assert increase(before, samples(worker_api, ERRORS)) == EXPECTED


def test_a_jobs_results_are_counted_once_however_often_they_are_read(worker_api: TestClient) -> None:
    before = samples(worker_api, ERRORS)
    scored_before = sample(worker_api, "reward_server_items_scored_total", component="format")
    submitted = worker_api.post("/v1/jobs", json={"items": ITEMS, "rewards": {"accuracy": 1, "format": 1}})
    assert submitted.status_code == 202, submitted.text
    job = wait_for_job(worker_api, submitted.json()["job_id"])
    assert job["status"] == "done" and [r["error"] is None for r in job["results"]] == [False, False, True]
    for _ in range(2):  # read again: nothing counted twice
        assert worker_api.get(f"/v1/jobs/{job['job_id']}").status_code == 200
        assert increase(before, samples(worker_api, ERRORS)) == EXPECTED
        assert sample(worker_api, "reward_server_items_scored_total", component="format") == scored_before + 3
