"""Dynamic batching: requests that arrive together share forward passes.

Nothing here imports torch; the forward function is given, so the batching rules are
testable on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

TokenIds = Sequence[int]
ForwardFn = Callable[[list[TokenIds]], list[float]]


def plan_batches(
    lengths: Sequence[int], *, max_batch_tokens: int, max_batch_size: int, max_padding: float = 0.25
) -> list[list[int]]:
    """Group indices into batches: sorted by length, each within the padded-token budget.

    A batch costs `size × longest` tokens once padded. Sorting first keeps padding small, and
    a batch is also cut when padding would exceed `max_padding` of its real tokens (one big
    batch of very mixed lengths wastes more compute than two forward passes cost).
    A sequence longer than the budget runs alone.

    >>> plan_batches([5, 100, 6, 90], max_batch_tokens=400, max_batch_size=8)
    [[0, 2], [3, 1]]
    """
    batches: list[list[int]] = []
    current: list[int] = []
    real_tokens = 0
    for index in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        longest = lengths[index]  # ascending order: the newcomer is the longest
        padded = (len(current) + 1) * longest
        if current and (
            padded > max_batch_tokens
            or len(current) >= max_batch_size
            or padded > (1 + max_padding) * (real_tokens + longest)
        ):
            batches.append(current)
            current, real_tokens = [], 0
        current.append(index)
        real_tokens += longest
    if current:
        batches.append(current)
    return batches


@dataclass
class BatcherStats:
    """Counters for benchmarks and metrics."""

    forwards: int = 0
    sequences: int = 0
    tokens: int = 0
    padded_tokens: int = 0
    split_retries: int = 0


@dataclass(slots=True)
class _Pending:
    ids: TokenIds
    future: asyncio.Future[float]


class DynamicBatcher:
    """Collects sequences from concurrent callers and scores them in shared forward passes.

    The first sequence to arrive while the model is idle waits `max_wait_ms` for company;
    sequences arriving while a forward runs join the next round without waiting. Each round
    takes everything pending, sorts it by length and cuts it into batches by token budget.
    Forward passes run one at a time on a dedicated thread, so the event loop stays free.
    A batch whose forward pass fails is split in halves and retried, so a failure (out of
    memory, one bad sequence) reaches only the callers whose sequences cannot be scored.
    """

    def __init__(
        self,
        forward: ForwardFn,
        *,
        max_batch_tokens: int,
        max_batch_size: int,
        max_wait_ms: float,
        max_padding: float = 0.25,
        name: str = "reward-model",
    ) -> None:
        self._forward = forward
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000
        self.max_padding = max_padding
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self.stats = BatcherStats()

    async def submit(self, sequences: Sequence[TokenIds]) -> list[float]:
        """Scores for `sequences`, in order. Raises what the forward pass raised for their batch."""
        if self._closed:
            raise RuntimeError("the reward model batcher is closed")
        if not sequences:
            return []
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # First use, or a new event loop (tests, `asyncio.run` per CLI call): loop-bound
            # state from the old loop cannot be awaited here.
            self._loop, self._wakeup, self._worker, self._pending = loop, asyncio.Event(), None, []
        pending = [_Pending(ids, loop.create_future()) for ids in sequences]
        self._pending.extend(pending)
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._run())
        self._wakeup.set()
        # Wait for every future, so that no exception is left unretrieved, then raise the first.
        outcomes = await asyncio.gather(*(p.future for p in pending), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return [float(score) for score in outcomes]  # type: ignore[arg-type]

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        round_: list[_Pending] = []
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                if self.max_wait_s > 0:
                    await asyncio.sleep(self.max_wait_s)
                while self._pending:
                    round_, self._pending = self._pending, []
                    round_ = [p for p in round_ if not p.future.done()]  # callers that gave up
                    plan = plan_batches(
                        [len(p.ids) for p in round_],
                        max_batch_tokens=self.max_batch_tokens,
                        max_batch_size=self.max_batch_size,
                        max_padding=self.max_padding,
                    )
                    for indices in plan:
                        await self._run_batch(loop, [round_[i] for i in indices])
                self._wakeup.clear()
        finally:
            # Cancelled (close) or a bug: nobody may wait forever on a future we own.
            for p in [*round_, *self._pending]:
                if not p.future.done():
                    p.future.set_exception(RuntimeError("the reward model batcher stopped"))
            self._pending = []

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> None:
        batch = [p for p in batch if not p.future.done()]
        if not batch:
            return
        ids = [p.ids for p in batch]
        try:
            scores = await loop.run_in_executor(self._executor, self._forward, ids)
            if len(scores) != len(batch):
                raise RuntimeError(f"forward returned {len(scores)} scores for {len(batch)} sequences")
        except Exception as exc:
            if len(batch) > 1:
                # Out of memory, or one sequence the model cannot take: halve until the failure
                # is pinned on the sequences that cause it, so the others still get scores.
                self.stats.split_retries += 1
                half = len(batch) // 2
                await self._run_batch(loop, batch[:half])
                await self._run_batch(loop, batch[half:])
                return
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        longest = max(len(x) for x in ids)
        self.stats.forwards += 1
        self.stats.sequences += len(batch)
        self.stats.tokens += sum(len(x) for x in ids)
        self.stats.padded_tokens += longest * len(batch)
        for p, score in zip(batch, scores, strict=True):
            if not p.future.done():
                p.future.set_result(score)

    async def close(self) -> None:
        """Stop the worker (pending callers get an error) and release the forward thread."""
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        # A forward pass in flight finishes on its thread; wait for it without blocking the loop.
        await asyncio.to_thread(self._executor.shutdown, wait=True)
