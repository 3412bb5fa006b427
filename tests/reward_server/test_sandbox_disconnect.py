"""Clients that give up: a real `reward-server serve` (local sandbox) and real HTTP clients that
disconnect. Their queued runs are dropped, not run for nobody; a request that cannot get a sandbox
in time gets a 504 (which verl retries) instead of a late answer; the server keeps serving."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.sandbox_helpers import require_bwrap
from tests.support.serve_process import ServeProcess, serve_process

pytestmark = pytest.mark.timeout(300)

SLOTS = os.cpu_count() or 2  # the local backend runs this many programs at once
SLEEP = "import time\ntime.sleep(4)\nprint('late')"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    require_bwrap()
    log = tmp_path_factory.mktemp("disconnect") / "serve.log"
    env = {"REWARD_SERVER_SANDBOX_QUEUE_TIMEOUT_S": "1.5"}
    with serve_process(log, ["--sandbox", "local"], env) as process:
        yield process


def dropped(server: ServeProcess, reason: str) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    match = re.search(rf'reward_server_sandbox_dropped_total\{{reason="{reason}"\}} ([0-9.e+]+)', text)
    return float(match.group(1)) if match else 0.0


def run_code(server: ServeProcess, code: str, timeout_s: float) -> httpx.Response:
    body = {"code": code, "language": "python", "run_timeout": 10}
    return httpx.post(f"{server.url}/run_code", json=body, timeout=timeout_s)


def run_code_as_verl(server: ServeProcess, code: str) -> dict[str, object]:
    """verl's client: a 504 means "retry"."""
    for _ in range(20):
        response = run_code(server, code, timeout_s=60)
        if response.status_code != 504:
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]
    raise AssertionError("still 504 after 20 tries")


def give_up(server: ServeProcess, code: str, timeout_s: float) -> str:
    try:
        run_code(server, code, timeout_s)
    except httpx.TimeoutException:
        return "gave up"
    return "answered"


def test_clients_that_disconnect_leave_the_line(server: ServeProcess) -> None:
    before = dropped(server, "caller_left")
    extra = 3
    with ThreadPoolExecutor(SLOTS + extra) as pool:
        outcomes = list(pool.map(lambda _: give_up(server, SLEEP, 0.5), range(SLOTS + extra)))
    assert outcomes == ["gave up"] * (SLOTS + extra)
    # The runs that were waiting for a slot were dropped when their clients went away.
    deadline_checks = 50
    while dropped(server, "caller_left") - before < extra and deadline_checks:
        deadline_checks -= 1
        httpx.get(f"{server.url}/healthz", timeout=10)
    assert dropped(server, "caller_left") - before >= extra
    # The server still answers, and correctly.
    answer = run_code_as_verl(server, "print(6 * 7)")
    assert answer["status"] == "Success" and answer["run_result"]["stdout"] == "42\n", answer


def test_waiting_longer_than_the_queue_timeout_is_a_504_to_retry(server: ServeProcess) -> None:
    with ThreadPoolExecutor(SLOTS + 1) as pool:
        busy = [pool.submit(run_code, server, SLEEP, 60) for _ in range(SLOTS)]
        # Once the long runs hold every slot, a new request waits in line past the timeout.
        for _ in range(10):
            late = run_code(server, "print('hi')", timeout_s=60)
            if late.status_code == 504:
                break
            assert late.status_code == 200, late.text
        assert late.status_code == 504, late.text
        assert "retry" in late.text and "sandbox_queue_timeout_s" in late.text
        assert all(f.result().json()["run_result"]["stdout"] == "late\n" for f in busy)
    answer = run_code_as_verl(server, "print('after')")
    assert answer["status"] == "Success" and answer["run_result"]["stdout"] == "after\n", answer


def test_a_score_request_whose_client_leaves_is_cancelled(server: ServeProcess) -> None:
    before = dropped(server, "client_disconnected")
    item = {
        "completion": f"```python\n{SLEEP}\n```",
        "task": {"type": "code", "language": "python", "tests": [{"expected_stdout": "late"}]},
    }
    with pytest.raises(httpx.TimeoutException):
        httpx.post(
            f"{server.url}/v1/score",
            json={"items": [item] * (SLOTS + 2), "rewards": {"accuracy": 1}},
            timeout=0.5,
        )
    checks = 50
    while dropped(server, "client_disconnected") == before and checks:
        checks -= 1
        httpx.get(f"{server.url}/healthz", timeout=10)
    assert dropped(server, "client_disconnected") > before
    body = {"items": [{**item, "completion": "```python\nprint('late')\n```"}], "rewards": {"accuracy": 1}}
    result = httpx.post(f"{server.url}/v1/score", json=body, timeout=60).json()["results"][0]
    assert result["scores"]["accuracy"] == 1.0, result
