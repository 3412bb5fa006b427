"""MathChecker: the math accuracy scheduler on a real process pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from reward_server.cpu_pool import CpuPool
from reward_server.outcomes import Failure, ItemError, UnusableGold
from reward_server.rewards.base import ComponentScore
from reward_server.rewards.math import MathChecker, check_math
from reward_server.schemas import ScoreItem


class CountingPool(CpuPool):
    """A real pool that records what it was asked to run."""

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.calls: list[str] = []

    async def run(self, fn: Callable[..., Any], *args: Any, timeout_s: float | None) -> Any:
        self.calls.append(fn.__name__)
        return await super().run(fn, *args, timeout_s=timeout_s)


@pytest.fixture
async def pool() -> AsyncIterator[CountingPool]:
    pool = CountingPool(2)
    pool.start()
    yield pool
    pool.close()


def item(completion: str | list[dict[str, str]], gold: str) -> ScoreItem:
    return ScoreItem.model_validate({"completion": completion, "task": {"type": "math", "answer": gold}})


async def test_verdicts_match_check_math_in_item_order(pool: CountingPool) -> None:
    cases = [
        ("\\boxed{(x+1)^2}", "x^2+2x+1"),
        ("\\boxed{\\frac{\\pi}{3}}", "\\pi/3"),
        ("\\boxed{7}", "8"),
        ("<answer>\\boxed{\\frac{1}{2006!}}</answer>", "\\frac{1}{2004!}"),
        ("The answer is $(-\\infty, 3]$.", "(-\\infty, 3]"),
        ("\\boxed{1}, \\boxed{2}", "1"),
    ]
    results = await MathChecker(pool, timeout_s=10).score([item(c, g) for c, g in cases])
    assert results == [check_math(c, g) for c, g in cases]
    assert [r.score for r in results if isinstance(r, ComponentScore)] == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]


async def test_plain_answers_never_reach_the_pool(pool: CountingPool) -> None:
    items = [item(f"<think>…</think><answer>\\boxed{{{n}}}</answer>", "12") for n in range(10, 15)]
    items.append(item("\\boxed{\\sqrt{567}}", "9\\sqrt{7}"))
    results = await MathChecker(pool, timeout_s=10).score(items)
    assert [r.score for r in results if isinstance(r, ComponentScore)] == [0, 0, 1, 0, 0, 1]
    assert pool.calls == []


async def test_identical_answers_in_a_batch_are_judged_once(pool: CountingPool) -> None:
    completions = [f"Reasoning {i} ... so the answer is $\\boxed{{2\\ln 2}}$." for i in range(8)]
    completions.append("Different reasoning: \\boxed{\\ln 2 + \\ln 2}")
    results = await MathChecker(pool, timeout_s=10).score([item(c, "\\ln 4") for c in completions])
    assert all(isinstance(r, ComponentScore) and r.score == 1.0 for r in results)
    assert pool.calls == ["judge", "judge"]  # one task per distinct answer, not per item


async def test_conversational_completions_use_the_last_assistant_message(pool: CountingPool) -> None:
    messages = [
        {"role": "user", "content": "What is 2+2? \\boxed{5}"},
        {"role": "assistant", "content": "\\boxed{4}"},
    ]
    [result] = await MathChecker(pool, timeout_s=10).score([item(messages, "4")])
    assert isinstance(result, ComponentScore) and result.score == 1.0


async def test_an_overrun_is_a_timeout_failure_not_a_zero_and_the_rest_come_back(pool: CountingPool) -> None:
    # within every guard (under 1,000 characters), but seconds of LaTeX parsing and sympy work:
    # the budget cannot tell this from a loaded host, so it is no verdict (outcomes.py)
    heavy = "+".join(f"\\sin(x^{{{k}}})" for k in range(1, 75))
    items = [item(f"\\boxed{{{heavy}}}", "x^2+\\sin(x)"), item("\\boxed{3}", "3")]
    slow, fast = await MathChecker(pool, timeout_s=0.5).score(items)
    assert isinstance(slow, ItemError) and slow.failure is Failure.TIMEOUT
    assert slow.as_details() == {"failure": "timeout", "budget_s": 0.5}
    assert "0.5 s budget" in slow.message
    assert isinstance(fast, ComponentScore) and fast.score == 1.0


async def test_an_exception_in_the_pool_is_an_internal_error_not_the_items_verdict() -> None:
    # A bare ValueError (sympy raises them) is a bug, never a verdict and never "the item's fault".
    pool = CpuPool(workers=1)
    try:
        outcome = await pool.run_item(_raise_value_error, "sympy said no", timeout_s=10, what="math check")
        assert isinstance(outcome, ItemError) and outcome.failure is Failure.INTERNAL_ERROR
        assert outcome.message == "math check failed: ValueError: sympy said no"
        gold = await pool.run_item(_raise_unusable_gold, timeout_s=10, what="math check")
        assert isinstance(gold, UnusableGold) and gold.failure is Failure.UNUSABLE_GOLD
        assert gold.as_details() == {"failure": "unusable_gold", "gold_chars": 0}
    finally:
        pool.close()


def _raise_value_error(message: str) -> None:
    raise ValueError(message)


def _raise_unusable_gold() -> None:
    raise UnusableGold("the gold answer is empty", details={"gold_chars": 0})


async def test_an_unusable_gold_is_that_items_error(pool: CountingPool) -> None:
    bad, good = await MathChecker(pool, timeout_s=10).score(
        [item("\\boxed{1}", "   "), item("\\boxed{1}", "1")]
    )
    assert isinstance(bad, UnusableGold) and "gold" in bad.message
    assert bad.as_details() == {"failure": "unusable_gold"}
    assert isinstance(good, ComponentScore) and good.score == 1.0


async def test_very_long_completions_are_extracted_in_a_worker(pool: CountingPool) -> None:
    long_completion = "step " * 10_000 + "\\boxed{42}"
    [result] = await MathChecker(pool, timeout_s=10).score([item(long_completion, "42")])
    assert isinstance(result, ComponentScore) and result.score == 1.0
    assert pool.calls == ["_check_raw"]
