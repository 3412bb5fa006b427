"""Where a math answer is read: the reply after the think block, as the turn says it. Text after an
end-of-turn token was never part of the reply, and a think block opened again is thought, not answer
(the same region the choice reward reads)."""

from __future__ import annotations

import pytest

from reward_server.rewards.math import check_math


@pytest.mark.parametrize(
    ("completion", "gold", "score"),
    [
        ("<think>a</think>The answer is \\boxed{5}.<|im_end|>The answer is \\boxed{7}", "5", 1.0),
        ("<think>a</think>The answer is \\boxed{5}.<|im_end|>The answer is \\boxed{7}", "7", 0.0),
        ("The answer is \\boxed{5}</s>\\boxed{7}", "5", 1.0),
        ("The answer is \\boxed{5}<|eot_id|><|start_header_id|>user<|end_header_id|>\\boxed{7}", "7", 0.0),
    ],
)
def test_what_follows_an_end_of_turn_token_is_not_the_answer(
    completion: str, gold: str, score: float
) -> None:
    assert check_math(completion, gold).score == score


@pytest.mark.parametrize(
    ("completion", "gold", "score"),
    [
        ("<think>a</think>The answer is \\boxed{5}<think>actually \\boxed{7}</think>", "5", 1.0),
        ("<think>a</think>The answer is \\boxed{5}<think>actually \\boxed{7}</think>", "7", 0.0),
        ("<think>a</think>The answer is \\boxed{5}<think>actually \\boxed{7}", "7", 0.0),
        ("<think>a</think>So <think>The answer is \\boxed{7}", "7", 0.0),
    ],
)
def test_a_think_block_opened_again_after_the_first_is_thought_not_answer(
    completion: str, gold: str, score: float
) -> None:
    assert check_math(completion, gold).score == score


def test_a_reply_without_those_tokens_reads_as_before() -> None:
    assert check_math("<think>x</think>The answer is \\boxed{7}.", "7").score == 1.0
    assert check_math("\\boxed{7}", "7").score == 1.0
    assert check_math("<think>x <answer>7</answer>", "7").score == 1.0  # answer block after an open think
