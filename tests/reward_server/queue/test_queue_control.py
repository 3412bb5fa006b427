"""Cancel, backpressure and idle queues: jobs that no worker has taken yet."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from tests.support.queue_helpers import assert_math_results, math_items, wait_for_job
from tests.support.redis_fixtures import RedisServer, unique_prefix

pytestmark = pytest.mark.redis


@pytest.fixture
def prefix() -> str:
    return unique_prefix()


@pytest.fixture
def make_api(redis_server: RedisServer, prefix: str) -> Iterator[Callable[..., TestClient]]:
    """An API on the shared Redis under this test's own key prefix, with no workers unless started."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        values: dict[str, Any] = {
            "cpu_workers": 1,
            "sandbox": "none",
            "redis_url": redis_server.url,
            "queue_prefix": prefix,
            "queue_chunk_items": 2,
            "redis_timeout_s": 1.0,
            **overrides,
        }
        client = TestClient(create_app(Settings(**values)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def queued_items(redis_server: RedisServer, prefix: str) -> int:
    return int(redis_server.client().get(f"{prefix}:queued-items") or 0)


def test_a_cancelled_job_is_never_scored_and_leaves_the_queue(
    make_api: Callable[..., TestClient],
    redis_server: RedisServer,
    prefix: str,
    spawn_worker: Callable[..., subprocess.Popen[bytes]],
) -> None:
    api = make_api()
    job_id = api.post("/v1/jobs", json={"items": math_items(6)}).json()["job_id"]
    assert api.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"
    assert queued_items(redis_server, prefix) == 6

    response = api.delete(f"/v1/jobs/{job_id}")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api.delete(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"  # cancelling twice is harmless

    # A worker that comes up later drops the cancelled chunks instead of scoring them.
    spawn_worker(redis_server.url, prefix)
    kept = api.post("/v1/jobs", json={"items": math_items(2)}).json()["job_id"]
    assert_math_results(wait_for_job(api, kept)["results"], 2)
    job = api.get(f"/v1/jobs/{job_id}").json()
    assert job["status"] == "cancelled"
    assert job["progress"]["done"] == 0
    assert job["results"] is None
    assert queued_items(redis_server, prefix) == 0


def test_a_full_queue_answers_429_with_retry_after(make_api: Callable[..., TestClient]) -> None:
    api = make_api(queue_max_items=6, queue_retry_after_s=3.0)
    assert api.post("/v1/jobs", json={"items": math_items(4)}).status_code == 202
    response = api.post("/v1/jobs", json={"items": math_items(4)})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert "queue is full" in response.json()["detail"][0]["msg"]
    assert api.post("/v1/jobs", json={"items": math_items(2)}).status_code == 202  # up to the limit


def test_a_full_queue_refuses_score_calls_too(
    make_api: Callable[..., TestClient], redis_server: RedisServer, prefix: str
) -> None:
    api = make_api(queue_max_items=4)
    redis_server.client().zadd(
        f"{prefix}:workers", {"ghost": time.time() + 60}
    )  # counted alive, never scores
    assert api.post("/v1/jobs", json={"items": math_items(4)}).status_code == 202
    response = api.post("/v1/score", json={"items": math_items(1)})
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_score_without_any_worker_fails_at_once_saying_so(make_api: Callable[..., TestClient]) -> None:
    api = make_api()
    started = time.monotonic()
    response = api.post("/v1/score", json={"items": math_items(1)})
    assert response.status_code == 503
    assert "no worker" in response.json()["detail"][0]["msg"]
    assert "Retry-After" in response.headers
    assert time.monotonic() - started < 5


def test_score_gives_up_after_the_wait_timeout_and_cancels_its_job(
    make_api: Callable[..., TestClient], redis_server: RedisServer, prefix: str
) -> None:
    api = make_api(job_wait_timeout_s=0.5)
    # A heartbeat with no worker behind it: the API believes a worker is there, none ever scores.
    redis_server.client().zadd(f"{prefix}:workers", {"ghost": time.time() + 60})
    started = time.monotonic()
    response = api.post("/v1/score", json={"items": math_items(1)})
    assert response.status_code == 503
    assert "job_wait_timeout_s" in response.json()["detail"][0]["msg"]
    assert time.monotonic() - started < 5
    [job_key] = [k for k in redis_server.client().keys(f"{prefix}:job:*") if k.count(":") == 2]
    assert redis_server.client().hget(job_key, "status") == "cancelled"


def test_cancelled_jobs_expire_after_the_result_ttl(
    make_api: Callable[..., TestClient], redis_server: RedisServer, prefix: str
) -> None:
    api = make_api(job_result_ttl_s=0.3)
    job_id = api.post("/v1/jobs", json={"items": math_items(2)}).json()["job_id"]
    api.delete(f"/v1/jobs/{job_id}")
    assert api.get(f"/v1/jobs/{job_id}").status_code == 200
    time.sleep(0.5)
    assert api.get(f"/v1/jobs/{job_id}").status_code == 404
    assert not redis_server.client().keys(f"{prefix}:job:{job_id}*")
