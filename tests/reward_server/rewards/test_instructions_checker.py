"""InstructionChecker on a real CPU pool: final-answer extraction, one item's failure, a missing extra."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reward_server.cpu_pool import CpuPool
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.instructions import InstructionChecker, checker, final_answer
from reward_server.schemas import ScoreItem


@pytest.fixture(scope="module")
def pool() -> Iterator[CpuPool]:
    pool = CpuPool(1)
    pool.start()
    yield pool
    pool.close()


def item(completion: str, ids: list[str], kwargs: list[Any] | None = None, **task: Any) -> ScoreItem:
    body = {"type": "instruction_following", "instruction_id_list": ids, "kwargs": kwargs, **task}
    return ScoreItem.model_validate({"completion": completion, "task": body})


def test_the_final_answer_is_what_follows_the_last_closed_think_block() -> None:
    assert final_answer("plain answer\n\n") == "plain answer\n\n"  # as written, like the benchmarks
    assert final_answer("<think>a</think>\n\n<think>b</think>\n\nthe answer\n") == "the answer\n"
    assert final_answer("<think>a</think><answer>\n inside \n</answer>") == "inside"
    assert final_answer("<think>never closed") is None
    assert final_answer("<reason>x</reason>y", think_tag="reason") == "y"


async def test_a_checker_that_raises_fails_its_item_only(pool: CpuPool) -> None:
    items = [
        item(
            "Ten words or so, in a sentence.",
            ["length_constraints:number_words"],
            [{"num_words": 3, "relation": "more than"}],
        ),
        item("No commas here.", ["punctuation:no_comma"]),
    ]
    broken, fine = await InstructionChecker(pool, timeout_s=30).score(items)
    assert isinstance(broken, ItemError)
    assert "kwargs[0]: the length_constraints:number_words checker refuses" in str(broken)
    assert "more than" in str(broken)
    assert broken.failure == "invalid_item"  # the item's arguments, not a bug
    assert isinstance(fine, ComponentScore) and fine.score == 1.0


async def test_an_empty_answer_follows_nothing(pool: CpuPool) -> None:
    [result] = await InstructionChecker(pool, timeout_s=30).score(
        [item("<think>x</think>   ", ["punctuation:no_comma"])]
    )
    assert isinstance(result, ComponentScore) and result.score == 0.0
    assert result.details["instructions"][0]["reason"] == "the answer is empty"


async def test_without_the_extra_every_item_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checker, "checkers_installed", lambda: False)
    results = await InstructionChecker(CpuPool(1), timeout_s=30).score(
        [item("x", ["punctuation:no_comma"])] * 2
    )
    assert all(isinstance(r, ItemError) and "reward-server[instructions]" in str(r) for r in results)
