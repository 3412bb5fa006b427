"""`MathChecker`: the math task checker of the accuracy component (inline verdicts, pool tasks)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from reward_server.cpu_pool import CpuPool
from reward_server.outcomes import Failure, ItemError, UnusableGold
from reward_server.rewards.base import ComponentScore
from reward_server.rewards.math.extraction import Extraction, extract_answer
from reward_server.rewards.math.verdict import QUICK_MAX_CHARS, check_math, clean_gold, judge, judge_quick
from reward_server.rewards.text import completion_text, with_prefilled_think
from reward_server.schemas import MathTask, ScoreItem

__all__ = ["MathChecker"]

log = logging.getLogger(__name__)

Outcome = ComponentScore | ItemError


def _light(extraction: Extraction) -> Extraction:
    """What a worker needs to judge (the region is not: it only served to find the answer)."""
    return dataclasses.replace(extraction, region="")


class MathChecker:
    """Scores math items: parser-free verdicts inline, the rest on the CPU pool with a time budget each.

    Per batch:
    - the answer is extracted inline (linear string work); verdicts that need no parser (plain
      numbers, identical strings, hedges of those, refused inputs) are decided right there: a pool
      round trip costs more than the check;
    - items with the same extracted answer and gold (GRPO groups repeat answers) are judged once;
    - every remaining distinct (answer, gold) is one pool task with its own `timeout_s`: one that
      overruns costs its budget and is an `ItemError` of class `timeout` (not a 0: the budget cannot
      tell a pathological answer from a loaded host; answers the guards see are too costly are
      refused as a 0 before any parser runs), the rest come back.
    """

    def __init__(
        self, pool: CpuPool, timeout_s: float, answer_tag: str = "answer", think_tag: str = "think"
    ) -> None:
        self.pool, self.timeout_s = pool, timeout_s
        self.answer_tag, self.think_tag = answer_tag, think_tag

    async def score(self, items: Sequence[ScoreItem]) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(items)
        pending: dict[tuple[Any, ...], list[int]] = {}
        jobs: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        quick: dict[tuple[Any, ...], ComponentScore] = {}
        for index, item in enumerate(items):
            assert isinstance(item.task, MathTask)
            try:
                gold = clean_gold(item.task.answer)
            except UnusableGold as exc:
                results[index] = exc
                continue
            # A prompt that opens the think block (R1 / Qwen3 templates): the completion starts inside it.
            text, _ = with_prefilled_think(item.prompt, completion_text(item.completion), self.think_tag)
            if len(text) > QUICK_MAX_CHARS:  # even extraction goes to a worker, under the budget
                key: tuple[Any, ...] = ("raw", text, gold)
                jobs.setdefault(key, (_check_raw, text, gold, self.answer_tag, self.think_tag))
                pending.setdefault(key, []).append(index)
                continue
            extraction = _light(extract_answer(text, answer_tag=self.answer_tag, think_tag=self.think_tag))
            key = (extraction, gold)
            if key in quick:
                results[index] = quick[key]
                continue
            if key not in jobs:
                verdict = _judge_inline(extraction, gold)
                if verdict is not None:
                    quick[key] = results[index] = verdict
                    continue
                jobs[key] = (judge, extraction, gold)
            pending.setdefault(key, []).append(index)

        async def run(key: tuple[Any, ...]) -> None:
            fn, *args = jobs[key]
            outcome = await self._run(fn, *args)
            for index in pending[key]:
                results[index] = outcome

        await asyncio.gather(*(run(key) for key in jobs))
        return [
            r if r is not None else ItemError("internal error: no verdict", failure=Failure.INTERNAL_ERROR)
            for r in results
        ]

    async def _run(self, fn: Any, *args: Any) -> Outcome:
        outcome: Outcome = await self.pool.run_item(fn, *args, timeout_s=self.timeout_s, what="math check")
        return outcome


def _judge_inline(extraction: Extraction, gold: str) -> ComponentScore | None:
    """`judge_quick` on the event loop: a surprise sends the item to a worker rather than fail the batch."""
    try:
        return judge_quick(extraction, gold)
    except Exception:  # noqa: BLE001 - the worker path reports it as this item's error
        log.exception("inline math check failed; retrying in a worker")
        return None


def _check_raw(completion: str, gold: str, answer_tag: str, think_tag: str = "think") -> ComponentScore:
    return check_math(completion, gold, answer_tag=answer_tag, think_tag=think_tag)
