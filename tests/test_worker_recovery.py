"""Workers that die and a Redis that restarts: each item still gets exactly one result, or a clear error."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from tests.queue_helpers import assert_math_results, math_items, wait_for_job
from tests.redis_fixtures import RedisServer, live_workers, unique_prefix, wait_for_workers

pytestmark = pytest.mark.redis

Spawn = Callable[..., subprocess.Popen[bytes]]


def api_for(server: RedisServer, prefix: str, **overrides: Any) -> TestClient:
    values: dict[str, Any] = {
        "cpu_workers": 1,
        "sandbox": "none",
        "redis_url": server.url,
        "queue_prefix": prefix,
        "queue_chunk_items": 8,
        "redis_timeout_s": 1.0,
        "job_wait_timeout_s": 60.0,
        **overrides,
    }
    return TestClient(create_app(Settings(**values)))


@pytest.fixture
def prefix() -> str:
    return unique_prefix()


def chunks_held_by(server: RedisServer, prefix: str, pid: int) -> list[dict[str, Any]]:
    pending = server.client().xpending_range(f"{prefix}:chunks", "workers", min="-", max="+", count=100)
    return [p for p in pending if f"-{pid}-" in p["consumer"]]


def test_a_sigkilled_workers_chunk_is_redelivered_and_every_item_gets_exactly_one_result(
    redis_server: RedisServer, prefix: str, spawn_worker: Spawn
) -> None:
    victim = spawn_worker(redis_server.url, prefix)
    survivor = spawn_worker(redis_server.url, prefix)
    redis = redis_server.client()
    wait_for_workers(redis, prefix, 2)
    with api_for(redis_server, prefix) as api:
        # Freeze the victim at a moment it holds a chunk, then kill it there. Answers that need the parser
        # keep each chunk in a worker for a measurable time (integers are decided in microseconds). On a
        # starved machine the survivor can finish a whole job before the victim takes a chunk: then try
        # with the next job.
        caught = False
        for _attempt in range(5):
            items = math_items(64, via_parser=True)
            job_id = api.post("/v1/jobs", json={"items": items}).json()["job_id"]
            while not caught and api.get(f"/v1/jobs/{job_id}").json()["status"] != "done":
                if chunks_held_by(redis_server, prefix, victim.pid):
                    victim.send_signal(signal.SIGSTOP)
                    caught = bool(chunks_held_by(redis_server, prefix, victim.pid))
                    if not caught:
                        victim.send_signal(signal.SIGCONT)
                time.sleep(0.005)
            if caught:
                break
        assert caught, "the victim never held a chunk"
        victim.kill()  # SIGKILL, mid-chunk: no cleanup, no acknowledgement
        victim.wait()

        job = wait_for_job(api, job_id)
        assert job["status"] == "done"
        assert job["progress"] == {"done": 64, "total": 64}
        assert_math_results(job["results"], 64)  # in time: wait_for_job's own deadline bounds it

    fields = redis.hgetall(f"{prefix}:job:{job_id}")
    assert int(fields["redelivered"]) >= 1, "the killed worker's chunk was never redelivered"
    assert redis.hlen(f"{prefix}:job:{job_id}:results") == 8  # one result per chunk, none twice
    assert int(redis.get(f"{prefix}:queued-items")) == 0
    assert redis.xpending(f"{prefix}:chunks", "workers")["pending"] == 0
    assert survivor.poll() is None


def test_redis_restarting_without_its_data_fails_calls_clearly_and_workers_reconnect(
    make_redis: Callable[..., RedisServer], prefix: str, spawn_worker: Spawn
) -> None:
    server = make_redis(persistent=False)
    spawn_worker(server.url, prefix)
    wait_for_workers(server.client(), prefix, 1)
    with api_for(server, prefix) as api:
        job_id = api.post("/v1/jobs", json={"items": math_items(4)}).json()["job_id"]
        assert wait_for_job(api, job_id)["status"] == "done"

        server.kill()
        for call in (
            lambda: api.get(f"/v1/jobs/{job_id}"),
            lambda: api.post("/v1/score", json={"items": []}),
        ):
            started = time.monotonic()
            response = call()
            assert response.status_code == 503
            assert "unreachable" in response.json()["detail"][0]["msg"]
            assert "Retry-After" in response.headers
            assert time.monotonic() - started < 10

        server.start()
        assert api.get(f"/v1/jobs/{job_id}").status_code == 404  # its data went with the restart
        wait_for_workers(server.client(), prefix, 1)  # the worker's heartbeat is back: it reconnected
        response = api.post("/v1/score", json={"items": math_items(10)})
        assert response.status_code == 200, response.text
        assert_math_results(response.json()["results"], 10)


def test_a_waiting_score_call_learns_its_job_vanished_in_a_restart(
    make_redis: Callable[..., RedisServer], prefix: str
) -> None:
    server = make_redis(persistent=False)
    server.client().zadd(f"{prefix}:workers", {"ghost": time.time() + 60})  # a worker that never answers
    with api_for(server, prefix) as api:
        outcome: dict[str, httpx.Response] = {}
        call = threading.Thread(
            target=lambda: outcome.setdefault("r", api.post("/v1/score", json={"items": math_items(2)}))
        )
        call.start()
        deadline = time.monotonic() + 10
        while not server.client().keys(f"{prefix}:job:*"):
            assert time.monotonic() < deadline and call.is_alive(), "the job was never enqueued"
            time.sleep(0.01)
        server.restart()
        call.join(timeout=20)
        assert not call.is_alive(), "/v1/score hung across the restart"
    response = outcome["r"]
    assert response.status_code == 503
    assert "vanished" in response.json()["detail"][0]["msg"]


def test_with_persistence_a_job_survives_a_redis_crash_mid_flight(
    make_redis: Callable[..., RedisServer], prefix: str, spawn_worker: Spawn
) -> None:
    server = make_redis(persistent=True)
    with api_for(server, prefix, redis_timeout_s=2.0) as api:
        queued = api.post("/v1/jobs", json={"items": math_items(16)}).json()["job_id"]
        server.restart()  # SIGKILL and start again: the append-only file brings the job back
        after = api.get(f"/v1/jobs/{queued}")
        assert after.status_code == 200, after.text
        assert after.json()["status"] == "queued"

        worker = spawn_worker(server.url, prefix)
        wait_for_workers(server.client(), prefix, 1)
        outcome: dict[str, httpx.Response] = {}
        call = threading.Thread(
            target=lambda: outcome.setdefault("r", api.post("/v1/score", json={"items": math_items(40)}))
        )
        call.start()
        while len(server.client().keys(f"{prefix}:job:*:results")) < 2:  # the /v1/score job has begun
            assert call.is_alive()
            time.sleep(0.005)
        worker.send_signal(signal.SIGSTOP)  # hold the worker mid-job while Redis crashes under it
        try:
            jobs = [k for k in server.client().keys(f"{prefix}:job:*") if k.count(":") == 2]
            assert {server.client().hget(k, "status") for k in jobs} == {"done", "running"}
            server.restart()
        finally:
            worker.send_signal(signal.SIGCONT)
        call.join(timeout=60)
        assert not call.is_alive(), "/v1/score hung across the restart"
        response = outcome["r"]
        assert response.status_code == 200, response.text
        assert_math_results(response.json()["results"], 40)
        assert_math_results(wait_for_job(api, queued)["results"], 16)


def test_a_worker_stops_on_sigterm_and_leaves_the_live_set(
    redis_server: RedisServer, prefix: str, spawn_worker: Spawn
) -> None:
    worker = spawn_worker(redis_server.url, prefix)
    client = redis_server.client()
    wait_for_workers(client, prefix, 1)
    with api_for(redis_server, prefix) as api:  # a job, so the worker joins the consumer group
        job = api.post("/v1/jobs", json={"items": math_items(2)})
        assert job.status_code == 202, job.text
        assert_math_results(wait_for_job(api, job.json()["job_id"])["results"], 2)
    assert len(client.xinfo_consumers(f"{prefix}:chunks", "workers")) == 1
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert live_workers(client, prefix) == 0
    assert client.xinfo_consumers(f"{prefix}:chunks", "workers") == []  # it left the group: nothing pending


def test_a_waiting_score_call_fails_clearly_when_redis_stays_down(
    make_redis: Callable[..., RedisServer], prefix: str
) -> None:
    server = make_redis(persistent=False)
    server.client().zadd(f"{prefix}:workers", {"ghost": time.time() + 60})
    with api_for(server, prefix, redis_timeout_s=0.5) as api:
        outcome: dict[str, httpx.Response] = {}
        call = threading.Thread(
            target=lambda: outcome.setdefault("r", api.post("/v1/score", json={"items": math_items(2)}))
        )
        call.start()
        deadline = time.monotonic() + 10
        while not server.client().keys(f"{prefix}:job:*"):
            assert time.monotonic() < deadline and call.is_alive(), "the job was never enqueued"
            time.sleep(0.01)
        server.kill()
        killed_at = time.monotonic()
        call.join(timeout=20)
        assert not call.is_alive(), "/v1/score hung with Redis down"
    response = outcome["r"]
    assert response.status_code == 503
    assert "lost the job queue" in response.json()["detail"][0]["msg"]
    assert "Retry-After" in response.headers
    assert time.monotonic() - killed_at < 10
