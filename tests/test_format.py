"""The R1 format reward: one <think> block, then one non-empty <answer> block, nothing else."""

from __future__ import annotations

import pytest

from reward_server.rewards.format import check_format


@pytest.mark.parametrize(
    "completion",
    [
        "<think>1+1=2</think><answer>2</answer>",
        "  <think>\nstep\n</think>\n\n<answer> 2 </answer>\n",
        "<think></think><answer>2</answer>",
    ],
)
def test_template_followed_scores_one(completion: str) -> None:
    result = check_format(completion)
    assert result.score == 1.0
    assert result.details["ok"] is True


@pytest.mark.parametrize(
    ("completion", "reason"),
    [
        ("<answer>2</answer>", "exactly one <think>"),
        ("<think>x</think>", "exactly one <answer>"),
        ("<think>a</think><think>b</think><answer>2</answer>", "exactly one <think>"),
        ("<think>a</think><answer>1</answer><answer>2</answer>", "exactly one <answer>"),
        ("<answer>2</answer><think>a</think>", "out of order"),
        ("<think>a<answer>2</answer></think>", "out of order"),
        ("<think>a</think><answer>2", "exactly one <answer>"),
        ("Sure! <think>a</think><answer>2</answer>", "text outside"),
        ("<think>a</think> so <answer>2</answer>", "text outside"),
        ("<think>a</think><answer>2</answer> done", "text outside"),
        ("<think>a</think><answer>  \n </answer>", "empty"),
    ],
)
def test_template_broken_scores_zero_and_says_why(completion: str, reason: str) -> None:
    result = check_format(completion)
    assert result.score == 0.0
    assert reason in result.details["reason"]


def test_tag_names_are_configurable() -> None:
    text = "<reasoning>x</reasoning><final>2</final>"
    assert check_format(text, think_tag="reasoning", answer_tag="final").score == 1.0
    assert check_format(text).score == 0.0
