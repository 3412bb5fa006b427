"""Math accuracy: extract the committed final answer and check it against the gold answer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from reward_server.cpu_pool import CpuPool, WorkerCrashed
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.text import answer_text, completion_text
from reward_server.schemas import MathTask, ScoreItem


def check_math(completion: str, gold: str, *, answer_tag: str = "answer") -> ComponentScore:
    """Score 1 when the completion's final answer equals `gold` (math-verify + sympy), else 0.

    Runs in a pool worker: the caller enforces the time budget, so math-verify's
    SIGALRM timeouts are switched off.
    """
    from math_verify import parse, verify

    region = answer_text(completion, answer_tag)
    gold_parsed = parse(gold if "$" in gold or "\\" in gold else f"${gold}$", parsing_timeout=None)  # type: ignore[arg-type]
    if not gold_parsed:
        raise ValueError(f"the gold answer {gold!r} could not be parsed")
    answer = parse(region, parsing_timeout=None)  # type: ignore[arg-type]
    if not answer:
        return ComponentScore(0.0, {"status": "no_answer", "extracted": None})
    ok = verify(gold_parsed, answer, timeout_seconds=None)
    return ComponentScore(float(ok), {"status": "correct" if ok else "wrong", "extracted": str(answer[-1])})


class MathChecker:
    """Schedules `check_math` on the CPU pool, one task per item, each with a hard time budget."""

    def __init__(self, pool: CpuPool, timeout_s: float, answer_tag: str = "answer") -> None:
        self.pool, self.timeout_s, self.answer_tag = pool, timeout_s, answer_tag

    async def _one(self, item: ScoreItem) -> ComponentScore | ItemError:
        assert isinstance(item.task, MathTask)
        text = completion_text(item.completion)
        try:
            return await self.pool.run(
                _check, text, item.task.answer, self.answer_tag, timeout_s=self.timeout_s
            )
        except TimeoutError:
            return ComponentScore(0.0, {"status": "timeout", "budget_s": self.timeout_s})
        except WorkerCrashed as exc:
            return ItemError(f"math verifier crashed: {exc}")
        except ValueError as exc:
            return ItemError(str(exc))

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        return list(await asyncio.gather(*(self._one(item) for item in items)))


def _check(completion: str, gold: str, answer_tag: str) -> ComponentScore:
    return check_math(completion, gold, answer_tag=answer_tag)
