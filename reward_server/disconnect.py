"""Stopping the work of a client that gave up: its request is cancelled when the connection closes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

from reward_server import metrics
from reward_server.errors import RewardServerError

__all__ = ["ClientDisconnected", "cancel_on_disconnect"]

log = logging.getLogger(__name__)

T = TypeVar("T")
POLL_S = 0.1


class ClientDisconnected(RewardServerError):
    """The client closed the connection before the answer was ready (nginx's 499); nobody reads it."""

    status_code = 499


async def cancel_on_disconnect(request: Request, work: Awaitable[T]) -> T:
    """Await `work`, cancelling it as soon as the client disconnects (checked every `POLL_S`).

    Work waiting for a sandbox leaves its line; a program already running finishes and its result
    is dropped (see `reward_server.sandbox_gate`). Raises `ClientDisconnected` in that case.
    """
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=POLL_S)
            if done:
                return task.result()
            if await request.is_disconnected():
                break
    except BaseException:
        task.cancel()
        raise
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    route = request.url.path
    metrics.record_sandbox_dropped("client_disconnected")
    log.info("client left %s before its answer: its pending work was cancelled", route)
    raise ClientDisconnected(f"the client closed the connection before {route} answered")
