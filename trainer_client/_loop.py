"""A private event loop in a daemon thread, so synchronous code can run the async client."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """Runs coroutines on its own loop; `submit` is safe from any thread.

    A forked child (verl and OpenRLHF use process pools) inherits the object but not the thread, so
    `usable()` is false there and the owner builds a new one.
    """

    def __init__(self, name: str) -> None:
        self._pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def usable(self) -> bool:
        return os.getpid() == self._pid and self._thread.is_alive() and not self._loop.is_closed()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                "a blocking reward call was made from inside the client's own loop; use ascore"
            )
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Cancel what still runs (and let it clean up), then stop the loop and its thread."""
        if not self.usable():
            return
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            self.submit(_cancel_others()).result(timeout=timeout_s)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=timeout_s)
        if not self._thread.is_alive():
            self._loop.close()


async def _cancel_others() -> None:
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
