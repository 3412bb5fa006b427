"""Start a real `reward-server serve` subprocess on a free loopback port and wait until it can score."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.services import free_port


def wait_until_healthy(
    url: str,
    *,
    timeout_s: float,
    alive: Callable[[], bool] = lambda: True,
    request_timeout_s: float = 1.0,
    poll_s: float = 0.1,
) -> bool:
    """Poll `url`/healthz until it answers 200 (True); False once `alive()` says the server is gone
    or `timeout_s` seconds have passed. Used by tests and benchmarks that start a real service."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=request_timeout_s).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        if not alive() or time.monotonic() > deadline:
            return False
        time.sleep(poll_s)


@dataclass
class ServeProcess:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_entries(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]


@contextmanager
def serve_process(
    log_path: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    start_timeout_s: float = 60,
) -> Iterator[ServeProcess]:
    """Yields once /healthz answers 200; kills the server on exit if the test did not stop it."""
    port = free_port()
    full_env = {**os.environ, "REWARD_SERVER_CPU_WORKERS": "1", **(env or {})}
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reward_server", "serve", "--port", str(port), *args],
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_healthy(url, timeout_s=start_timeout_s, alive=lambda: proc.poll() is None):
            raise RuntimeError(f"server did not start: {log_path.read_text()}")
        yield ServeProcess(proc, url, log_path)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=20)
