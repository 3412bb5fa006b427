"""compose.yaml end to end, with no registry: build the images offline, bring the stack up with Debian's
docker-compose, score math and code through the gateway, and stop it cleanly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.paths import REPO_ROOT
from tests.support.serve_process import wait_until_healthy
from tests.support.services import free_port, require_service

ROOT = REPO_ROOT
KEY = "deploy-test-" + "k" * 24

# The first run builds every image (debootstrap, apt, pip): minutes, not the default 120 s.
pytestmark = [pytest.mark.slow, pytest.mark.docker, pytest.mark.timeout(3600)]


def _docker_ready() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True).returncode == 0
    )


def build_images() -> dict[str, str]:
    """`python deploy/build_images.py`; its stdout is the compose environment selecting the built tags."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "build_images.py")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, f"image build failed:\n{proc.stderr[-4000:]}"
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


class Stack:
    def __init__(self, project: str, env_file: Path, url: str) -> None:
        self.project, self.env_file, self.url = project, env_file, url

    def compose(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        argv = ["docker-compose", "-p", self.project, "-f", str(ROOT / "compose.yaml")]
        argv += ["--env-file", str(self.env_file), *args]
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s)

    def containers(self, service: str) -> list[dict[str, Any]]:
        ids = self.compose("ps", "-q", service).stdout.split()
        if not ids:
            return []
        inspected = subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, check=True)
        return json.loads(inspected.stdout)  # type: ignore[no-any-return]

    def logs(self, container: dict[str, Any]) -> str:
        proc = subprocess.run(["docker", "logs", container["Id"]], capture_output=True, text=True)
        return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_service(
        _docker_ready(), "the Docker daemon", "start it with `nohup dockerd > /tmp/dockerd.log 2>&1 &`"
    )
    require_service(
        shutil.which("docker-compose") is not None, "docker-compose", "apt-get install docker-compose"
    )
    require_service(shutil.which("debootstrap") is not None, "debootstrap", "apt-get install debootstrap")
    images = build_images()
    port = free_port()
    env_file = tmp_path_factory.mktemp("compose") / "stack.env"
    settings = {
        **images,
        "REWARD_SERVER_API_KEYS": KEY,
        "REWARD_SERVER_PORT": str(port),
        "REWARD_SERVER_BIND": "127.0.0.1",
        "DOCKER_GID": str(os.stat("/var/run/docker.sock").st_gid),
        "API_REPLICAS": "2",
        "REWARD_SERVER_CPU_WORKERS": "1",
        "REWARD_SERVER_SANDBOX_POOL_SIZE": "1",
        "STOP_GRACE_PERIOD": "30s",
        "REWARD_SERVER_SHUTDOWN_TIMEOUT_S": "20",
    }
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    stack = Stack(f"rsdeploy{os.getpid()}", env_file, f"http://127.0.0.1:{port}")
    try:
        up = stack.compose("up", "-d", "--scale", "worker=2", timeout_s=600)
        assert up.returncode == 0, up.stderr[-4000:]
        if not wait_until_healthy(stack.url, timeout_s=240, request_timeout_s=2, poll_s=1):
            pytest.fail(f"the stack did not become healthy:\n{stack.compose('logs', '--tail=30').stdout}")
        yield stack
    finally:
        stack.compose("down", "--volumes", "--timeout", "30", timeout_s=300)


def fenced(code: str) -> str:
    return f"<think>easy</think><answer>```python\n{code}\n```</answer>"


ADD_TESTS = {
    "tests": [{"stdin": "1 2\n", "expected_stdout": "3\n"}, {"stdin": "5 5\n", "expected_stdout": "10\n"}]
}
BATCH = {
    "items": [
        {
            "id": "math-right",
            "completion": "<think>t</think><answer>\\boxed{\\frac{1}{2}}</answer>",
            "task": {"type": "math", "answer": "0.5"},
        },
        {
            "id": "math-wrong",
            "completion": "<think>t</think><answer>\\boxed{3}</answer>",
            "task": {"type": "math", "answer": "4"},
        },
        {
            "id": "code-right",
            "completion": fenced("a, b = map(int, input().split())\nprint(a + b)"),
            "task": {"type": "code", "language": "python", **ADD_TESTS},
        },
        {
            "id": "code-wrong",
            "completion": fenced("a, b = map(int, input().split())\nprint(a - b)"),
            "task": {"type": "code", "language": "python", **ADD_TESTS},
        },
    ],
    "rewards": {"accuracy": 1.0, "format": 0.5},
}


def test_the_gateway_refuses_requests_without_a_key(stack: Stack) -> None:
    response = httpx.post(f"{stack.url}/v1/score", json=BATCH, timeout=30)
    assert response.status_code == 401


def test_math_and_code_are_scored_through_gateway_api_queue_and_workers(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    for attempt in range(8):  # several requests, so both api replicas take some
        response = httpx.post(
            f"{stack.url}/v1/score",
            json=BATCH,
            headers={**headers, "X-Request-ID": f"deploy-{attempt}"},
            timeout=300,
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-request-id"] == f"deploy-{attempt}"
        results = {r["id"]: r for r in response.json()["results"]}
        assert {k: r["scores"].get("accuracy") for k, r in results.items()} == {
            "math-right": 1.0,
            "math-wrong": 0.0,
            "code-right": 1.0,
            "code-wrong": 0.0,
        }, results
        assert results["math-right"]["reward"] == 1.5
        assert results["code-wrong"]["details"]["accuracy"]["verdicts"] == ["wrong_answer", "wrong_answer"]
    apis = stack.containers("api")
    assert len(apis) == 2
    served = [stack.logs(c).count('"path": "/v1/score"') for c in apis]
    assert all(n > 0 for n in served), f"the gateway sent every request to one replica: {served}"
    workers = stack.containers("worker")
    assert len(workers) == 2 and all(w["State"]["Running"] for w in workers)
    metrics = httpx.get(f"{stack.url}/metrics", timeout=10).text
    assert "reward_server_items_scored_total" in metrics
    # Code ran on the workers; the replica that answered counts its verdicts from the results.
    assert 'reward_server_sandbox_verdicts_total{verdict="accepted"}' in metrics
    assert "reward_server_live_workers 2.0" in metrics


def test_run_code_answers_through_the_gateway_for_verl(stack: Stack) -> None:
    # verl's sandbox_fusion_url points at the gateway: SandboxFusion's protocol, run on sandbox-api.
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"code": "print(int(input()) * 2)", "language": "python", "stdin": "21\n"}
    response = httpx.post(f"{stack.url}/run_code", json=body, headers=headers, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Success"
    assert response.json()["run_result"]["stdout"].strip() == "42"
    direct = {"language": "python", "code": "print('hi')"}
    response = httpx.post(f"{stack.url}/v1/sandbox/run", json=direct, headers=headers, timeout=120)
    assert response.status_code == 200, response.text


def test_redis_keeps_its_data_across_restarts(stack: Stack) -> None:
    (redis,) = stack.containers("redis")
    command = " ".join(redis["Config"]["Cmd"])
    assert "--appendonly yes" in command


SLOW_CODE = {
    "items": [
        {
            "id": "slow",
            "completion": fenced("import time\ntime.sleep(4)\nprint('done')"),
            "task": {
                "type": "code",
                "language": "python",
                "tests": [{"stdin": "", "expected_stdout": "done"}],
            },
        }
    ],
    "rewards": {"accuracy": 1.0},
}


def test_the_stack_stops_cleanly_and_the_batch_in_flight_is_answered(stack: Stack) -> None:
    outcome: dict[str, Any] = {}

    def post() -> None:
        outcome["response"] = httpx.post(
            f"{stack.url}/v1/score", json=SLOW_CODE, headers={"Authorization": f"Bearer {KEY}"}, timeout=120
        )
        outcome["answered_at"] = time.monotonic()

    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(1.5)  # the program is running in a sandbox when the stop begins
    stop_began = time.monotonic()
    stopped = stack.compose("stop", "--timeout", "30", timeout_s=300)
    thread.join(timeout=120)
    assert outcome["answered_at"] > stop_began
    assert stopped.returncode == 0, stopped.stderr
    response = outcome["response"]
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["details"]["accuracy"]["verdicts"] == ["accepted"]
    for service in ("gateway", "api", "worker", "redis"):
        for container in stack.containers(service):
            state = container["State"]
            assert not state["Running"], f"{container['Name']} still running"
            # 0: the process handled SIGTERM itself (uvicorn, the worker, redis, nginx); 137 would be SIGKILL.
            assert state["ExitCode"] == 0, (
                f"{container['Name']} exited {state['ExitCode']}:\n{stack.logs(container)[-2000:]}"
            )
    apis = stack.containers("api")
    assert all("Application shutdown complete." in stack.logs(c) for c in apis)
