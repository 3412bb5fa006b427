"""Small helpers shared by the queue tests: items with known answers, and waiting on a job over HTTP."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from reward_server.config import Settings
from reward_server.schemas import ScoreItem, ScoreRequest
from tests.support.redis_fixtures import RedisServer, unique_prefix


def math_items(n: int, *, via_parser: bool = False) -> list[dict[str, Any]]:
    """`n` math items whose answers are right for even ids and wrong for odd ones.

    Plain integers are decided inline in microseconds; with `via_parser` each answer is a logarithm
    (`\\log_{2}(2^{k})`) that only the LaTeX parser and sympy decide, in a pool worker, so a worker holds
    its chunk for a measurable time.
    """

    def answer(k: int) -> str:
        return f"\\log_{{2}}(2^{{{k}}})" if via_parser else str(k)

    return [
        {
            "id": f"item-{i}",
            "completion": f"<think>add them</think><answer>\\boxed{{{answer(i + (i % 2))}}}</answer>",
            "task": {"type": "math", "answer": str(i)},
        }
        for i in range(n)
    ]


def assert_math_results(results: list[dict[str, Any]], n: int) -> None:
    """Exactly one result per item, in item order, each with the right verdict."""
    assert [r["id"] for r in results] == [f"item-{i}" for i in range(n)]
    assert [r["scores"]["accuracy"] for r in results] == [float(i % 2 == 0) for i in range(n)]
    assert all(r["error"] is None for r in results)


def wait_for_job(api: TestClient, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    """Read the job until it finishes (test-side polling; the service itself blocks on Redis)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = api.get(f"/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in ("done", "failed", "cancelled"):
            return body
        assert time.monotonic() < deadline, f"job {job_id} still {body['status']} after {timeout_s} s"
        time.sleep(0.05)


def warm_up(client: TestClient, timeout_s: float = 90) -> None:
    """Score until no item times out: a cold pool process spends seconds importing math-verify."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        results = client.post("/v1/score", json={"items": math_items(4)}).json()["results"]
        if all(r["details"]["accuracy"].get("failure") != "timeout" for r in results):
            return
    raise TimeoutError("the in-process scorer still times out after warming up")


def queue_settings(redis_server: RedisServer, prefix: str, **overrides: Any) -> Settings:
    """Settings of an API process queueing on `redis_server` under `prefix` (small chunks, short timeouts)."""
    values: dict[str, Any] = {
        "cpu_workers": 1,
        "sandbox": "none",
        "redis_url": redis_server.url,
        "queue_prefix": prefix,
        "queue_chunk_items": 4,
        "max_batch_items": 64,
        "redis_timeout_s": 1.0,
        "job_wait_timeout_s": 30.0,
        **overrides,
    }
    return Settings(**values)


def worker_settings(server: RedisServer, **overrides: Any) -> Settings:
    """Settings of a worker under test: a queue prefix of its own, chunks of 2 items, short Redis
    timeouts, format as the only default reward (so `format_request` items score without a task)."""
    values: dict[str, Any] = {
        "cpu_workers": 1,
        "sandbox": "none",
        "redis_url": server.url,
        "queue_prefix": unique_prefix(),
        "queue_chunk_items": 2,
        "redis_timeout_s": 1.0,
        "default_rewards": {"format": 1.0},
        **overrides,
    }
    return Settings(**values)


def format_request(n: int) -> ScoreRequest:
    """`n` well-formatted items (ids 0..n-1) that the format reward scores 1."""
    return ScoreRequest(
        items=[ScoreItem(id=i, completion="<think>a</think><answer>1</answer>") for i in range(n)]
    )
