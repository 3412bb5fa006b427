"""One scoring call's shared work: components that need the same costly run (the code checker's
sandbox run, needed by `accuracy` and `efficiency`) await one task instead of running it twice.

`Scorer.score` opens a scope with `shared_runs()` around its components; `run_once(key, factory)`
starts `factory()` the first time `key` is asked for in that scope and hands every later caller
the same result (or exception). Outside a scope every call runs its own factory. The scope lives
in a `ContextVar`, so tasks started inside it (asyncio copies the context) share it and nothing
leaks between calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["run_once", "shared_runs"]

T = TypeVar("T")

_SCOPE: ContextVar[dict[Hashable, asyncio.Future[Any]] | None] = ContextVar("shared_runs", default=None)


@contextmanager
def shared_runs() -> Iterator[None]:
    """A scope in which `run_once` shares results by key (one scoring call)."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


async def run_once(key: Hashable, factory: Callable[[], Awaitable[T]]) -> T:
    """`await factory()`, shared with every other caller of `key` in the current scope."""
    scope = _SCOPE.get()
    if scope is None:
        return await factory()
    future = scope.get(key)
    if future is None:
        future = asyncio.ensure_future(factory())
        scope[key] = future
    # One caller being cancelled must not cancel the run the others wait for.
    return await asyncio.shield(future)
