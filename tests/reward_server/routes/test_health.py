"""Readiness and liveness, and what the API and the workers log about them.

`/healthz` answers 503 with the reason whenever the service cannot score (with --redis-url: Redis
unreachable or no live worker), `/livez` answers 200 while the process serves. Driven against a
real redis-server and real `reward-server worker` processes.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from tests.support.queue_helpers import math_items
from tests.support.redis_fixtures import WORKER_ENV, RedisServer, unique_prefix, wait_for_workers
from tests.support.services import free_port

pytestmark = pytest.mark.redis

KEY = "k" * 32
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def queue_api() -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(redis_url: str, prefix: str) -> TestClient:
        settings = Settings(
            cpu_workers=1,
            sandbox="none",
            redis_url=redis_url,
            queue_prefix=prefix,
            redis_timeout_s=1.0,
            api_keys=[KEY],
        )
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def logged_worker(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """`start(redis_url, prefix)` runs a worker logging JSON at info level to a file; returns the file."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(redis_url: str, prefix: str) -> Path:
        log_path = tmp_path / f"worker-{len(procs)}.log"
        with log_path.open("wb") as log_file:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "reward_server",
                        "worker",
                        "--redis-url",
                        redis_url,
                        "--queue-prefix",
                        prefix,
                    ],  # fmt: skip
                    env={**os.environ, **WORKER_ENV, "REWARD_SERVER_LOG_LEVEL": "info"},
                    stdout=subprocess.DEVNULL,
                    stderr=log_file,
                )
            )
        return log_path

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for_line(
    path: Path, matches: Callable[[dict[str, Any]], bool], timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in path.read_text().splitlines():
            entry = json.loads(line)  # every line is one JSON object (no progress bars, no tracebacks)
            if matches(entry):
                return entry
        time.sleep(0.1)
    raise AssertionError(f"no matching log line within {timeout_s} s:\n{path.read_text()}")


def test_livez_answers_without_a_key(client: TestClient) -> None:
    response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "alive"}


def test_not_ready_without_a_live_worker_until_one_starts(
    redis_server: RedisServer,
    queue_api: Callable[..., TestClient],
    logged_worker: Callable[[str, str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    prefix = unique_prefix()
    api = queue_api(redis_server.url, prefix)
    with caplog.at_level(logging.INFO):
        response = api.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable" and body["queue"]["workers"] == 0
        assert body["reason"].startswith(f"no worker is reading the job queue at {redis_server.url}")
        assert api.get("/livez").status_code == 200  # alive, only not ready
        assert api.get("/healthz").status_code == 503
        # The API says why it answers 503, once per change of state for the probe and per request.
        refused = api.post("/v1/score", json={"items": math_items(1)}, headers=AUTH)
        assert refused.status_code == 503
    probe_lines = [r for r in caplog.records if "not ready: /healthz answers 503" in r.getMessage()]
    assert len(probe_lines) == 1
    assert any("POST /v1/score answers 503: no worker" in r.getMessage() for r in caplog.records)

    logged_worker(redis_server.url, prefix)
    wait_for_workers(redis_server.client(), prefix, 1)
    ready = api.get("/healthz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_not_ready_when_redis_is_unreachable(queue_api: Callable[..., TestClient]) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    api = queue_api(url, unique_prefix())
    response = api.get("/healthz")
    assert response.status_code == 503
    assert response.json()["reason"].startswith(f"the job queue at {url} is unreachable")


def test_worker_logs_each_chunk_with_the_request_id_of_the_api_call(
    redis_server: RedisServer,
    queue_api: Callable[..., TestClient],
    logged_worker: Callable[[str, str], Path],
) -> None:
    prefix = unique_prefix()
    api = queue_api(redis_server.url, prefix)
    log_path = logged_worker(redis_server.url, prefix)
    wait_for_workers(redis_server.client(), prefix, 1)
    headers = {**AUTH, "X-Request-ID": "trainer-step-7"}
    response = api.post("/v1/score", json={"items": math_items(3)}, headers=headers)
    assert response.status_code == 200, response.text
    entry = wait_for_line(log_path, lambda e: "items scored in" in e["msg"])
    assert entry["request_id"] == "trainer-step-7"
    assert entry["items"] == 3 and entry["seconds"] >= 0 and len(entry["job_id"]) == 32


def test_worker_logs_when_redis_comes_back(
    make_redis: Callable[..., RedisServer], logged_worker: Callable[[str, str], Path]
) -> None:
    server = make_redis()
    prefix = unique_prefix()
    log_path = logged_worker(server.url, prefix)
    wait_for_workers(server.client(), prefix, 1)
    server.kill()
    wait_for_line(log_path, lambda e: "unreachable" in e["msg"])
    server.start()
    entry = wait_for_line(log_path, lambda e: "reachable again after" in e["msg"])
    assert entry["level"] == "info" and server.url.rsplit("/", 1)[0] in entry["msg"]
