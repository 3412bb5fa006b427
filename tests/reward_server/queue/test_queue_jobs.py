"""/v1/jobs and /v1/score through Redis, scored by two real `reward-server worker` processes."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from tests.support.queue_helpers import assert_math_results, math_items, queue_settings, wait_for_job, warm_up
from tests.support.redis_fixtures import RedisServer, unique_prefix, wait_for_workers, worker_processes
from tests.support.serve_process import serve_process

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def prefix() -> str:
    return unique_prefix()


@pytest.fixture(scope="module")
def workers(redis_server: RedisServer, prefix: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    with worker_processes() as spawn:
        procs = [spawn(redis_server.url, prefix), spawn(redis_server.url, prefix)]
        wait_for_workers(redis_server.client(), prefix, 2)
        yield procs


@pytest.fixture(scope="module")
def api(
    redis_server: RedisServer, prefix: str, workers: list[subprocess.Popen[bytes]]
) -> Iterator[TestClient]:
    with TestClient(create_app(queue_settings(redis_server, prefix))) as client:
        yield client


def test_score_through_the_queue_answers_what_in_process_scoring_answers(
    api: TestClient, client: TestClient
) -> None:
    body = {
        "items": math_items(10)
        + [{"id": "no-task", "completion": "just text"}, {"id": "fmt", "completion": "<answer>1</answer>"}],
        "rewards": {"accuracy": 1.0, "format": 0.5},
    }
    warm_up(client)
    queued = api.post("/v1/score", json=body)
    local = client.post("/v1/score", json=body)
    assert queued.status_code == local.status_code == 200, queued.text
    assert queued.json() == local.json()
    assert_math_results(queued.json()["results"][:10], 10)


def test_a_job_answers_202_then_its_progress_then_its_results_in_item_order(api: TestClient) -> None:
    response = api.post("/v1/jobs", json={"items": math_items(13)})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    job = wait_for_job(api, job_id)
    assert job["status"] == "done"
    assert job["progress"] == {"done": 13, "total": 13}
    assert_math_results(job["results"], 13)
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]


def test_a_large_batch_is_split_into_chunks_that_both_workers_score(
    api: TestClient, redis_server: RedisServer, prefix: str
) -> None:
    spread: set[str] = set()
    for _attempt in range(3):  # a starved worker can miss one job's chunks; both take part within three
        job_id = api.post("/v1/jobs", json={"items": math_items(48)}).json()["job_id"]
        job = wait_for_job(api, job_id)
        assert_math_results(job["results"], 48)
        fields = redis_server.client().hgetall(f"{prefix}:job:{job_id}")
        assert fields["n_chunks"] == "12"
        spread = {value for key, value in fields.items() if key.startswith("worker:")}
        if len(spread) == 2:
            break
    assert len(spread) == 2, f"one worker scored every chunk: {spread}"


def test_default_weights_are_the_api_servers(redis_server: RedisServer, prefix: str, workers: object) -> None:
    settings = queue_settings(redis_server, prefix, default_rewards={"format": 2.0})
    with TestClient(create_app(settings)) as api:
        [result] = api.post("/v1/score", json={"items": math_items(1)}).json()["results"]
    assert result["scores"] == {"format": 1.0}
    assert result["reward"] == 2.0


def test_unknown_jobs_answer_404(api: TestClient) -> None:
    for method in ("GET", "DELETE"):
        response = api.request(method, "/v1/jobs/0123abcd")
        assert response.status_code == 404
        assert response.json()["detail"][0]["loc"] == ["path", "job_id"]


def test_an_idempotency_key_returns_the_first_jobs_id(api: TestClient) -> None:
    body = {"items": math_items(3)}
    first = api.post("/v1/jobs", json=body, headers={"Idempotency-Key": "batch-7"}).json()["job_id"]
    again = api.post("/v1/jobs", json=body, headers={"Idempotency-Key": "batch-7"})
    assert again.status_code == 202
    assert again.json()["job_id"] == first
    assert api.post("/v1/jobs", json=body, headers={"Idempotency-Key": "batch-8"}).json()["job_id"] != first
    assert api.post("/v1/jobs", json=body).json()["job_id"] != first

    reused = api.post("/v1/jobs", json={"items": math_items(4)}, headers={"Idempotency-Key": "batch-7"})
    assert reused.status_code == 422
    assert reused.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert first in reused.json()["detail"][0]["msg"]


def test_a_request_a_worker_cannot_score_answers_422_naming_the_item(api: TestClient) -> None:
    items = math_items(7)
    items[6]["rewards"] = {"model": 1.0}  # no reward model is loaded; item 6 is in the second chunk
    response = api.post("/v1/score", json={"items": items})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "items", 6, "rewards", "model"]

    job = wait_for_job(api, api.post("/v1/jobs", json={"items": items}).json()["job_id"])
    assert job["status"] == "failed"
    assert "body.items.6.rewards.model" in job["error"]
    assert job["results"] is None


def test_an_empty_batch_is_done_at_once(api: TestClient) -> None:
    job_id = api.post("/v1/jobs", json={"items": []}).json()["job_id"]
    job = api.get(f"/v1/jobs/{job_id}").json()
    assert job["status"] == "done"
    assert job["results"] == []
    assert api.post("/v1/score", json={"items": []}).json() == {"results": []}


def test_cancelling_a_finished_job_answers_409(api: TestClient) -> None:
    job_id = api.post("/v1/jobs", json={"items": math_items(1)}).json()["job_id"]
    wait_for_job(api, job_id)
    response = api.delete(f"/v1/jobs/{job_id}")
    assert response.status_code == 409
    assert "already done" in response.json()["detail"][0]["msg"]


def test_results_expire_after_the_result_ttl(redis_server: RedisServer, prefix: str, workers: object) -> None:
    with TestClient(create_app(queue_settings(redis_server, prefix, job_result_ttl_s=0.5))) as api:
        job_id = api.post("/v1/jobs", json={"items": math_items(2)}).json()["job_id"]
        assert wait_for_job(api, job_id)["status"] == "done"
        deadline = time.monotonic() + 5
        while api.get(f"/v1/jobs/{job_id}").status_code == 200:
            assert time.monotonic() < deadline, "results outlived their TTL"
            time.sleep(0.1)
        assert api.get(f"/v1/jobs/{job_id}").status_code == 404
        assert not redis_server.client().keys(f"{prefix}:job:{job_id}*")


def test_health_reports_the_queue_and_its_live_workers(api: TestClient) -> None:
    body = api.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["queue"]["reachable"] is True
    assert body["queue"]["workers"] == 2


def test_jobs_need_a_queue(client: TestClient) -> None:
    response = client.post("/v1/jobs", json={"items": []})
    assert response.status_code == 404
    assert "--redis-url" in response.json()["detail"][0]["msg"]


def test_reward_server_serve_with_a_redis_url_scores_through_the_workers(
    redis_server: RedisServer, prefix: str, workers: object, tmp_path: Path
) -> None:
    args = ["--sandbox", "none", "--redis-url", redis_server.url, "--queue-prefix", prefix]
    with serve_process(tmp_path / "serve.log", args) as server:
        health = httpx.get(f"{server.url}/healthz", timeout=2)
        assert health.json()["queue"]["workers"] == 2
        response = httpx.post(f"{server.url}/v1/score", json={"items": math_items(9)}, timeout=60)
        assert response.status_code == 200, response.text
        assert_math_results(response.json()["results"], 9)
