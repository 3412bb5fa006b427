"""A real `reward-server serve` process for end-to-end tests, on a free port."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def running_reward_server(
    env: Mapping[str, str] | None = None, *args: str, startup_timeout_s: float = 90.0
) -> Iterator[str]:
    """Start `python -m reward_server serve`, wait until /healthz answers 200, yield the base URL."""
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    command = [
        sys.executable,
        "-m",
        "reward_server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *args,
    ]
    # Output goes to a file: a pipe nobody reads fills up and blocks the server mid-test.
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(process, url, output, startup_timeout_s)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(
    process: subprocess.Popen[bytes], url: str, output: IO[str], timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            output.seek(0)
            raise RuntimeError(f"reward-server exited with {process.returncode}:\n{output.read()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"reward-server did not become healthy within {timeout_s} s")
        time.sleep(0.1)
