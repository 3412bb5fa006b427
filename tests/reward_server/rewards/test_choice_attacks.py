"""Multiple-choice tasks as a new user and a policy under RL meet them: completions that disown a
letter, hedges in brackets, taken-back answers, and real dataset row shapes (found by trying to
break the feature after it landed)."""

from __future__ import annotations

import pytest

from reward_server.rewards.choice import check_choice

OPTIONS = {"A": "Rome", "B": "Madrid", "C": "Paris", "D": "Berlin"}


@pytest.mark.parametrize(
    "completion",
    [
        "</think>(A) is incorrect.",
        "</think>A. Incorrect, since Rome is in Italy.",
        "</think>A: wrong.",
        "</think>(A) is not the capital of France.",
        "</think>A) cannot be right.",
        "</think>A is ruled out.",
    ],
)
def test_a_letter_the_answer_disowns_is_not_its_answer(completion: str) -> None:
    result = check_choice(completion, "A", "ABCD", OPTIONS)
    assert result.score == 0.0, result.details


def test_an_opening_letter_that_explains_still_counts() -> None:
    assert check_choice("</think>D. It cannot be A or B.", "D", "ABCD").score == 1.0
    assert check_choice("</think>(C) Paris is the capital of France.", "C", "ABCD", OPTIONS).score == 1.0


@pytest.mark.parametrize(
    "completion",
    [
        "</think>The answer is C (or possibly D).",
        "</think>The answer is C, or maybe D.",
        "</think>Answer: C (or D)",
        "</think>\\boxed{C} (or perhaps \\boxed{D})",
    ],
)
def test_a_second_letter_offered_in_brackets_is_a_hedge(completion: str) -> None:
    result = check_choice(completion, "C", "ABCD", OPTIONS)
    assert result.score == 0.0, result.details
    assert result.details["status"] == "hedged", result.details


def test_or_in_a_clause_about_another_option_is_not_a_hedge() -> None:
    assert check_choice("</think>The answer is C (not D).", "C", "ABCD").score == 1.0
    assert (
        check_choice("</think>The answer is C, or in other words Paris.", "C", "ABCD", OPTIONS).score == 1.0
    )


@pytest.mark.parametrize(
    "completion",
    [
        "</think>The answer is C... no wait, the answer is E.",
        "</think>The answer is C. No, wait: it is none of these.",
        "</think>The answer is C. Wait, that is wrong.",
        "</think>The answer is (C). Actually no, it is E.",
    ],
)
def test_an_answer_taken_back_with_no_wait_commits_to_nothing(completion: str) -> None:
    result = check_choice(completion, "C", "ABCD")
    assert result.score == 0.0, result.details
