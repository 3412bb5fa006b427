"""The CPU pool enforces time budgets for real, from any thread, and survives crashed workers."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator

import pytest

from reward_server.cpu_pool import CpuPool, WorkerCrashed


def spin_forever() -> None:
    while True:
        pass


def double(x: int) -> int:
    return 2 * x


def die() -> None:
    os._exit(3)


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    pool = CpuPool(2)
    pool.start()
    yield pool
    pool.close()


async def test_runs_functions_in_workers(pool: CpuPool) -> None:
    assert await asyncio.gather(*(pool.run(double, i, timeout_s=5) for i in range(10))) == [
        2 * i for i in range(10)
    ]


async def test_overrun_is_killed_and_pool_keeps_working(pool: CpuPool) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await pool.run(spin_forever, timeout_s=0.5)
    assert time.monotonic() - started < 3
    assert await pool.run(double, 21, timeout_s=5) == 42


def test_budget_holds_off_the_main_thread(pool: CpuPool) -> None:
    outcome: list[BaseException | None] = []

    def in_thread() -> None:
        try:
            asyncio.run(pool.run(spin_forever, timeout_s=0.5))
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=in_thread)
    started = time.monotonic()
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert isinstance(outcome[0], TimeoutError)
    assert time.monotonic() - started < 5


async def test_crashed_worker_is_reported_and_replaced(pool: CpuPool) -> None:
    with pytest.raises(WorkerCrashed):
        await pool.run(die, timeout_s=5)
    assert await pool.run(double, 1, timeout_s=5) == 2
