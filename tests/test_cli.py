"""`reward-server serve` on embedded defaults, driven over a real socket like the README says."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import free_port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "REWARD_SERVER_CPU_WORKERS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reward_server", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr:
            proc.stderr.close()


def test_serve_scores_the_readme_example(server: str) -> None:
    body = {
        "items": [
            {
                "id": "a1",
                "prompt": "What is 1/2 + 1/2?",
                "completion": "<think>half and half</think><answer>\\boxed{1}</answer>",
                "task": {"type": "math", "answer": "1"},
            }
        ]
    }
    response = httpx.post(f"{server}/v1/score", json=body, timeout=60)
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["reward"] == 2.0


def test_invalid_setting_exits_with_a_message() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reward_server", "serve", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "port" in proc.stderr
