"""Admission to the sandbox: callers wait in line for a free slot of their pool, may leave the line
(a disconnected client, a cancelled batch) at no cost, and wait no longer than they asked.

Once admitted, an execution runs to its end even if its caller goes away (its result is dropped):
stopping a program half-way would cost a Docker container (the runner's channel is left mid-request)
or hand a local run's uid to the next run while the first still holds it. The line is where waiting
happens, so leaving it is what frees the server from work nobody will read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from reward_server import metrics
from reward_server.errors import ServiceUnavailable
from sandboxes import Execution, Sandbox

__all__ = ["SandboxBusy", "SandboxGate"]


class SandboxBusy(ServiceUnavailable):
    """No sandbox slot became free within the caller's wait: 504, which verl and our client retry."""

    def __init__(self, waited_s: float) -> None:
        super().__init__(
            f"no sandbox was free within {waited_s:g} s (sandbox_queue_timeout_s); retry the request",
            retry_after_s=1.0,
            status_code=504,
        )


class SandboxGate:
    """`execute` like `Sandbox.execute`, through one line per pool (a Docker image's containers,
    or the local backend's slots) whose length is the pool's size."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._lines: dict[str, asyncio.Semaphore] = {}

    def _line(self, language: str) -> asyncio.Semaphore:
        key, size = self.sandbox.capacity(language)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = asyncio.Semaphore(size)
        return line

    async def execute(
        self,
        language: str,
        code: str,
        stdins: Sequence[str | bytes] = ("",),
        *,
        queue_timeout_s: float | None = None,
        files: Mapping[str, str | bytes] | None = None,
        **options: Any,
    ) -> Execution:
        """Wait for a slot (raising `SandboxBusy` after `queue_timeout_s`), then run as
        `Sandbox.execute` does; cancelling the caller while it waits drops the request."""
        line = self._line(language)
        try:
            await asyncio.wait_for(line.acquire(), queue_timeout_s)
        except TimeoutError:
            metrics.record_sandbox_dropped("queue_timeout")
            raise SandboxBusy(queue_timeout_s or 0.0) from None
        except asyncio.CancelledError:
            metrics.record_sandbox_dropped("caller_left")
            raise
        try:
            run = asyncio.ensure_future(self.sandbox.execute(language, code, stdins, files=files, **options))
        except BaseException:
            line.release()
            raise
        run.add_done_callback(_release(line))
        return await asyncio.shield(run)


def _release(line: asyncio.Semaphore) -> Any:
    def done(task: asyncio.Future[Execution]) -> None:
        line.release()
        if not task.cancelled():
            task.exception()  # retrieved: a caller that left never reads it

    return done
