"""The Docker backend's moving parts: the channel to one container's runner, and a pool of them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import struct
from collections.abc import Awaitable, Callable
from typing import Any

from sandboxes.models import SandboxError

log = logging.getLogger(__name__)


class BrokenContainer(Exception):
    """The container can no longer be trusted to run the next program."""


class RunnerChannel:
    """One pre-started container and the runner talking on its attached stdin/stdout."""

    def __init__(
        self, container: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, memory_mb: int
    ):
        self.container = container
        self.reader = reader
        self.writer = writer
        self.memory_mb = memory_mb
        self._ids = itertools.count(1)
        self._buffer = bytearray()
        self.tampered: str | None = None  # set from any answer whose runner reports a changed state

    async def request(self, payload: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        payload = {**payload, "id": next(self._ids)}
        self.writer.write(json.dumps(payload, separators=(",", ":")).encode() + b"\n")
        try:
            await self.writer.drain()
            answer = await asyncio.wait_for(self._read_answer(), timeout_s)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            raise BrokenContainer(f"runner did not answer: {type(exc).__name__}: {exc}") from exc
        if answer.get("id") != payload["id"] or not answer.get("ok"):
            error = str(answer.get("error", "answer out of order"))
            if error.startswith("runner state changed"):
                self.tampered = error
            raise BrokenContainer(f"runner refused: {error}")
        if answer.get("tampered"):
            self.tampered = str(answer["tampered"])
        return answer

    async def _read_answer(self) -> dict[str, Any]:
        # Attached output is multiplexed: 8-byte frames (stream, 0, 0, 0, big-endian length).
        while b"\n" not in self._buffer:
            header = await self.reader.readexactly(8)
            stream, length = header[0], struct.unpack(">I", header[4:])[0]
            data = await self.reader.readexactly(length)
            if stream == 1:
                self._buffer += data
            else:
                log.debug("sandbox runner stderr: %s", data.decode("utf-8", "replace").rstrip())
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class ContainerPool:
    """Idle containers of one image; a broken one is replaced in the background."""

    def __init__(
        self,
        image: str,
        size: int,
        create: Callable[[str], Awaitable[RunnerChannel]],
        discard: Callable[[RunnerChannel], None],
        is_closed: Callable[[], bool],
    ) -> None:
        self.image = image
        self._create, self._discard, self._is_closed = create, discard, is_closed
        self.size = size
        self.idle: asyncio.Queue[RunnerChannel] = asyncio.Queue()
        self.count = 0  # alive or being created
        self.last_error: str | None = None
        self.replaced = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def fill(self) -> None:
        await asyncio.gather(*(self._add() for _ in range(self.size - self.count)))

    async def _add(self) -> None:
        self.count += 1
        try:
            container = await self._create(self.image)
        except asyncio.CancelledError:
            self.count -= 1
            raise
        except Exception as exc:  # noqa: BLE001 - kept for the next acquire and /healthz
            self.count -= 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("could not start a %s sandbox container: %s", self.image, self.last_error)
            return
        self.last_error = None
        if self._is_closed():
            self.count -= 1
            self._discard(container)
        else:
            self.idle.put_nowait(container)

    def _add_later(self) -> None:
        task = asyncio.get_running_loop().create_task(self._add())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def acquire(self) -> RunnerChannel:
        while True:
            if self.count < self.size and self.idle.empty():
                await self._add()
            if self.count == 0:
                raise SandboxError(f"no {self.image} sandbox container could be started: {self.last_error}")
            try:
                # Wake up now and then: a replacement that failed never puts anything in the queue.
                return await asyncio.wait_for(self.idle.get(), timeout=1.0)
            except TimeoutError:
                continue

    def release(self, container: RunnerChannel, healthy: bool) -> None:
        if healthy and not self._is_closed():
            self.idle.put_nowait(container)
            return
        self.count -= 1
        self.replaced += 1
        self._discard(container)
        if not self._is_closed():
            self._add_later()

    async def close(self) -> None:
        # Let containers being created finish, so that they are removed rather than leaked.
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        while not self.idle.empty():
            self._discard(self.idle.get_nowait())
