"""A real `reward-server serve`: keys from the environment, JSON logs with request ids, graceful SIGTERM."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.serve_process import ServeProcess, serve_process

KEY = "k" * 32
# A program that takes a known time: the batch is still being scored when SIGTERM arrives.
SLOW_PROGRAM = "<answer>```python\nimport time\ntime.sleep(3)\nprint('done')\n```</answer>"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    with serve_process(
        tmp_path / "server.log", env={"REWARD_SERVER_API_KEYS": KEY, "REWARD_SERVER_SANDBOX": "local"}
    ) as running:
        yield running


def stop_gracefully(server: ServeProcess) -> None:
    server.proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down in order, then re-raises the signal so the exit status says what stopped it.
    assert server.proc.wait(timeout=30) == -signal.SIGTERM
    assert "Application shutdown complete." in [e["msg"] for e in server.log_entries()]


def test_keys_from_the_environment_and_json_logs_with_request_ids(server: ServeProcess) -> None:
    body = {"items": [{"completion": "<think>t</think><answer>1</answer>"}], "rewards": {"format": 1}}
    refused = httpx.post(f"{server.url}/v1/score", json=body, timeout=30)
    assert refused.status_code == 401
    answered = httpx.post(
        f"{server.url}/v1/score",
        json=body,
        headers={"Authorization": f"Bearer {KEY}", "X-Request-ID": "step-12"},
        timeout=30,
    )
    assert answered.status_code == 200
    assert answered.headers["x-request-id"] == "step-12"
    stop_gracefully(server)
    entries = server.log_entries()
    access = [e for e in entries if e["logger"] == "reward_server.access"]
    assert {(e["status"], e["path"]) for e in access} >= {(401, "/v1/score"), (200, "/v1/score")}
    assert any(e["request_id"] == "step-12" and e["status"] == 200 for e in access)
    assert all(KEY not in json.dumps(e) for e in entries)
    # uvicorn's own lines come through the same JSON handler.
    assert any(e["logger"].startswith("uvicorn") for e in entries)


def test_sigterm_lets_the_in_flight_batch_finish(server: ServeProcess) -> None:
    task = {"type": "code", "language": "python", "tests": [{"stdin": "", "expected_stdout": "done"}]}
    body = {"items": [{"id": "slow", "completion": SLOW_PROGRAM, "task": task}], "rewards": {"accuracy": 1}}
    outcome: dict[str, Any] = {}

    def post() -> None:
        outcome["response"] = httpx.post(
            f"{server.url}/v1/score", json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=60
        )
        outcome["answered_at"] = time.monotonic()

    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(1.0)
    server.proc.send_signal(signal.SIGTERM)
    signalled_at = time.monotonic()
    thread.join(timeout=60)
    response = outcome["response"]
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["details"]["accuracy"]["verdicts"] == ["accepted"], result
    assert outcome["answered_at"] > signalled_at, (
        "the batch was answered before the signal: nothing was in flight"
    )
    assert server.proc.wait(timeout=30) == -signal.SIGTERM
    assert "Application shutdown complete." in [e["msg"] for e in server.log_entries()]
    # A new connection after SIGTERM is refused rather than half-served.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/healthz", timeout=2)
