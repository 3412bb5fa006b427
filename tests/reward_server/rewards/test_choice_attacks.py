"""Multiple-choice tasks as a new user and a policy under RL meet them: completions that disown a
letter, hedges in brackets, taken-back answers, and real dataset row shapes (found by trying to
break the feature after it landed)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

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
        "</think>The answer is C and/or D.",
        "</think>C and/or D",
        "</think>The answer is C - or D.",
        "</think>**Answer: C** (alternatively, D)",
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


MMLU_PRO_OPTIONS = [str(n) for n in range(1, 11)]  # MMLU-Pro: ten options, letters A-J, gold "I" is "9"


@pytest.mark.parametrize(
    ("completion", "status"),
    [
        ("</think>The answer is 9 (option I).", "correct"),
        ("</think>The answer is 9 [I], since 3 * 3 = 9.", "correct"),
        ("</think>9 (I)", "correct"),
        ("</think>The answer is 9 (option D).", "hedged"),  # the text and the letter disagree
    ],
)
def test_an_option_text_followed_by_its_letter_in_brackets(completion: str, status: str) -> None:
    result = check_choice(
        completion, "I", "ABCDEFGHIJ", dict(zip("ABCDEFGHIJ", MMLU_PRO_OPTIONS, strict=True))
    )
    assert result.details["status"] == status, result.details


def test_mmlu_pro_row_through_the_api(client: TestClient) -> None:
    row = {"options": MMLU_PRO_OPTIONS, "answer": "I", "answer_index": 8}
    task = {"type": "choice", "options": row["options"], "answer": row["answer"]}
    completions = ["The answer is (I).", "I think the answer is 9.", "I don't know.", "I'd say it's I."]
    response = client.post(
        "/v1/score",
        json={"items": [{"completion": c, "task": task} for c in completions], "rewards": {"accuracy": 1.0}},
    )
    assert response.status_code == 200, response.text
    assert [r["scores"]["accuracy"] for r in response.json()["results"]] == [1.0, 1.0, 0.0, 1.0]


def test_a_prompt_that_opens_the_think_block_keeps_its_letters_out(client: TestClient) -> None:
    # R1 / Qwen3 chat templates end the prompt with "<think>\n": a completion cut off before
    # "</think>" is all chain of thought, and its "The answer is C" commits to nothing.
    task = {"type": "choice", "choices": ["A", "B", "C", "D"], "answer": "C"}
    messages = [{"role": "user", "content": "Which one?"}, {"role": "assistant", "content": "<think>\n"}]
    templated = "<|im_start|>user\nWhich one?<|im_end|>\n<|im_start|>assistant\n<think>\n"
    items = [
        {"prompt": messages, "completion": "The answer is C. Hmm, let me check A again", "task": task},
        {"prompt": templated, "completion": "So (C)? Let me check", "task": task},
        {"prompt": messages, "completion": "Maybe A.</think>\n\nThe answer is C.", "task": task},
    ]
    response = client.post("/v1/score", json={"items": items, "rewards": {"accuracy": 1.0}})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["scores"]["accuracy"] for r in results] == [0.0, 0.0, 1.0]
    assert results[0]["details"]["accuracy"]["status"] == "unfinished"
