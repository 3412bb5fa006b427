"""`reward-server serve --sandbox docker` as a real process: verl's /run_code over a socket, and no
container outlives the server, even when it is killed without a chance to clean up."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from sandboxes.docker import OWNER_LABEL
from tests.support.sandbox_helpers import require_images
from tests.support.serve_process import serve_process

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def _containers_of(pid: int) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={OWNER_LABEL}={pid}"], capture_output=True, text=True
    )
    return out.stdout.split()


def test_killed_server_leaves_no_containers_behind(tmp_path: Path) -> None:
    require_images(["python"])
    env = {"REWARD_SERVER_SANDBOX_POOL_SIZE": "2"}
    with serve_process(tmp_path / "serve.log", ["--sandbox", "docker"], env, start_timeout_s=120) as server:
        url, proc = server.url, server.proc
        health = httpx.get(f"{url}/healthz", timeout=5).json()
        assert health["sandbox"]["kind"] == "docker"
        body = {"code": "print(input() * 2)", "language": "python", "stdin": "ab", "run_timeout": 5}
        answer = httpx.post(f"{url}/run_code", json=body, timeout=60).json()
        assert answer["status"] == "Success" and answer["run_result"]["stdout"] == "abab\n"
        assert len(_containers_of(proc.pid)) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=20)
    # The attach sockets close with the process; each runner reads EOF, exits, and is auto-removed.
    deadline = time.monotonic() + 30
    while _containers_of(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _containers_of(proc.pid) == []
