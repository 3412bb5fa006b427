"""The CPU pool enforces time budgets for real, from any thread, and survives crashed workers."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator

import pytest

from reward_server.cpu_pool import CpuPool, WorkerCrashed
from reward_server.outcomes import Failure, ItemError, UnusableGold


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
    assert time.monotonic() - started < 10  # killed: spin_forever never returns on its own
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


def raise_item_error() -> None:
    raise UnusableGold("the gold answer is empty", details={"gold_chars": 0})


def raise_sympy_like() -> None:
    raise ValueError("Cannot convert complex to float")


async def test_run_item_classes_every_failure_by_the_outcome_rule(pool: CpuPool) -> None:
    assert await pool.run_item(double, 4, timeout_s=5, what="doubling") == 8
    slow = await pool.run_item(spin_forever, timeout_s=0.3, what="math check")
    assert isinstance(slow, ItemError) and slow.failure is Failure.TIMEOUT
    assert slow.message == "math check exceeded its 0.3 s budget"
    assert slow.as_details() == {"failure": "timeout", "budget_s": 0.3}
    crashed = await pool.run_item(die, timeout_s=5, what="math check")
    assert isinstance(crashed, ItemError) and crashed.failure is Failure.WORKER_CRASH
    assert "exit code 3" in crashed.message
    raised = await pool.run_item(raise_item_error, timeout_s=5, what="math check")
    assert type(raised) is UnusableGold  # crossed the process boundary whole
    assert raised.as_details() == {"failure": "unusable_gold", "gold_chars": 0}
    bug = await pool.run_item(raise_sympy_like, timeout_s=5, what="math check")
    assert isinstance(bug, ItemError) and bug.failure is Failure.INTERNAL_ERROR
    assert bug.message == "math check failed: ValueError: Cannot convert complex to float"
    assert await pool.run_item(double, 5, timeout_s=5, what="doubling") == 10  # the pool carries on
