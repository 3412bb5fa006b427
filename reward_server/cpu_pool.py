"""A process pool for CPU-bound verification with real per-task time budgets.

SIGALRM-based timeouts (what math-verify uses) do nothing off the main thread, so the
budget is enforced from outside: pebble kills the worker process that overran and
starts a fresh one. The event loop only awaits futures.

`run` raises; `run_item` is the one way rewards run an item's work here: it returns the
result, or an `ItemError` classed by the outcome rule of `reward_server.outcomes` (timeout,
worker crash, an `ItemError` the work raised itself, anything else an internal error).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from reward_server.outcomes import Failure, ItemError

T = TypeVar("T")
log = logging.getLogger(__name__)


class WorkerCrashed(RuntimeError):
    """The worker process died while running a task (segfault, OOM kill)."""


def _run_initializers(initializers: tuple[Callable[[], object], ...]) -> None:
    for init in initializers:
        init()


class CpuPool:
    """`await pool.run(fn, *args, timeout_s=...)` runs `fn` in a worker process.

    `fn` and its arguments must be picklable (module-level functions). A task that
    overruns raises `TimeoutError` and its worker is replaced; the others carry on.
    """

    def __init__(self, workers: int, initializers: tuple[Callable[[], object], ...] = ()) -> None:
        self.workers = workers
        self._initializers = initializers
        self._pool: ProcessPool | None = None

    def start(self) -> None:
        if self._pool is None:
            self._pool = ProcessPool(
                max_workers=self.workers,
                initializer=_run_initializers if self._initializers else None,
                initargs=(self._initializers,) if self._initializers else (),
            )

    @property
    def running(self) -> bool:
        return self._pool is not None and self._pool.active

    async def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None) -> T:
        if self._pool is None:
            self.start()
        assert self._pool is not None
        future = self._pool.schedule(fn, args=args, timeout=timeout_s)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout as exc:
            raise TimeoutError(f"exceeded its {timeout_s} s budget") from exc
        except ProcessExpired as exc:
            raise WorkerCrashed(f"worker process died (exit code {exc.exitcode})") from exc
        except asyncio.CancelledError:
            future.cancel()
            raise

    async def run_item(
        self, fn: Callable[..., T], *args: Any, timeout_s: float | None, what: str
    ) -> T | ItemError:
        """`run`, with every way it can fail turned into an `ItemError` of its `Failure` class.

        `what` names the work in the message (``"math check"``). An `ItemError` raised by `fn`
        (e.g. `UnusableGold`) comes back as it was raised; any other exception, a `ValueError` from
        sympy included, is a bug: logged with its traceback, class `internal_error`, never a verdict.
        """
        try:
            return await self.run(fn, *args, timeout_s=timeout_s)
        except TimeoutError:
            return ItemError(
                f"{what} exceeded its {timeout_s:g} s budget",
                failure=Failure.TIMEOUT,
                details={"budget_s": timeout_s},
            )
        except WorkerCrashed as exc:
            log.warning("%s: %s", what, exc)
            return ItemError(f"{what}: {exc}", failure=Failure.WORKER_CRASH)
        except ItemError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - one item's failure must not fail the batch
            log.error("%s failed", what, exc_info=exc)
            return ItemError(f"{what} failed: {type(exc).__name__}: {exc}", failure=Failure.INTERNAL_ERROR)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join(timeout=10)
            self._pool = None
