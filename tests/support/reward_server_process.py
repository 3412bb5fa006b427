"""A real `reward-server serve` process for end-to-end tests that only need its URL."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.support.serve_process import serve_process


@contextlib.contextmanager
def running_reward_server(
    env: Mapping[str, str] | None = None, *args: str, startup_timeout_s: float = 90.0
) -> Iterator[str]:
    """Start `python -m reward_server serve`, wait until /healthz answers 200, yield the base URL."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_process(Path(tmp) / "serve.log", args, env, start_timeout_s=startup_timeout_s) as server,
    ):
        yield server.url
        server.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):  # serve_process kills it after this
            server.proc.wait(timeout=15)
