"""The multiple-choice checker: the forms models write, hedges, the task model's errors, maj@n by letter."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.eval_metrics import group_summary
from reward_server.rewards.choice import check_choice, extract_choice
from tests.reward_server.rewards.choice_corpus import CASES

OPTIONS = {"A": "Rome", "B": "Madrid", "C": "Paris", "D": "Berlin"}


@pytest.mark.parametrize(
    ("name", "completion", "letters", "options", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_the_corpus_reads_the_letter_a_careful_grader_reads(
    name: str, completion: str, letters: str, options: dict[str, str] | None, expected: str | None
) -> None:
    assert extract_choice(completion, letters, options).letter == expected
    for gold in letters[:4]:
        verdict = check_choice(completion, gold, letters, options)
        assert verdict.score == float(gold == expected), (name, gold, verdict.details)


@pytest.mark.parametrize(
    "answer",
    [
        "\\boxed{C}",
        "\\boxed{\\text{C}}",
        "(C)",
        "Answer: C",
        "**Answer:** C",
        "C) Paris",
        "The answer is C.",
        "The correct option is (C)",
        "C",
        "Paris",
        "I'd go with C.",
    ],
)
def test_every_documented_form_pays_the_gold_letter(answer: str) -> None:
    verdict = check_choice(f"<think>Paris is in France.</think>\n{answer}", "C", "ABCD", OPTIONS)
    assert verdict.score == 1.0, verdict.details
    assert verdict.details["extracted"] == "C"


@pytest.mark.parametrize(
    "answer", ["A or C", "either B or D", "\\boxed{A} or \\boxed{C}", "Answer: B/D", "The answer is A and C."]
)
def test_two_letters_offered_score_zero_even_when_one_is_gold(answer: str) -> None:
    for gold in "ABCD":
        verdict = check_choice(f"</think>{answer}", gold, "ABCD", OPTIONS)
        assert verdict.score == 0.0
        assert verdict.details["status"] == "hedged"
        assert len(set(verdict.details["extracted"])) == 2


def test_an_unclosed_think_block_commits_to_nothing() -> None:
    verdict = check_choice("<think>The answer is C. \\boxed{C}", "C", "ABCD")
    assert verdict.score == 0.0
    assert verdict.details["status"] == "unfinished"


def test_letters_in_words_and_prose_are_not_options() -> None:
    assert check_choice("</think>I think so.", "I", "ABCDEFGHIJ").score == 0.0
    assert check_choice("</think>A good choice is the capital.", "A", "ABCD").score == 0.0
    assert check_choice("</think>Answer: A good choice is the capital.", "A", "ABCD").score == 0.0
    assert check_choice("</think>The answer is Carbon.", "C", "ABCD").score == 0.0
    # ...but the letter I is an option when it is written as one
    assert check_choice("</think>the answer is (I)", "I", "ABCDEFGHIJ").score == 1.0


def test_an_option_text_matching_several_options_decides_nothing() -> None:
    options = {"A": "Paris", "B": "paris", "C": "Rome", "D": "Oslo"}
    assert check_choice("</think>Paris", "A", "ABCD", options).details["status"] == "no_answer"


def test_a_very_long_completion_is_read_at_its_end() -> None:
    completion = "<think>" + "hmm A? " * 20_000 + "</think>" + "filler. " * 3000 + "\nAnswer: C"
    assert check_choice(completion, "C", "ABCD").score == 1.0


def score_one(client: TestClient, task: dict[str, Any], completion: str = "</think>Answer: C") -> Any:
    return client.post(
        "/v1/score", json={"items": [{"completion": completion, "task": task}], "rewards": {"accuracy": 1.0}}
    )


@pytest.mark.parametrize(
    ("task", "field"),
    [
        ({"type": "choice", "choices": ["A", "B", "C", "D"], "answer": "E"}, "answer"),
        ({"type": "choice", "choices": ["A", "B", "C", "D"], "answer": 2}, "answer"),
        ({"type": "choice", "choices": ["A", "B", "C", "D"], "answer": "CD"}, "answer"),
        ({"type": "choice", "answer": "C"}, "choices"),
        ({"type": "choice", "choices": ["A", "b"], "answer": "A"}, "choices"),
        ({"type": "choice", "choices": ["A", "A", "C"], "answer": "A"}, "choices"),
        ({"type": "choice", "choices": ["A"], "answer": "A"}, "choices"),
        ({"type": "choice", "choices": ["A", "B"], "answer": "A", "options": ["x"]}, "options"),
        (
            {"type": "choice", "choices": ["A", "B"], "answer": "A", "options": {"A": "x", "C": "y"}},
            "options",
        ),
        (
            {"type": "choice", "choices": ["A", "B"], "answer": "A", "options": {"A": "x", "B": " "}},
            "options",
        ),
        ({"type": "choice", "choices": {"text": ["x", "y"], "label": ["1", "2"]}, "answer": "A"}, "choices"),
        ({"type": "choice", "choices": {"text": ["x"], "label": ["A", "B"]}, "answer": "A"}, "choices"),
    ],
)
def test_a_bad_choice_task_is_refused_naming_the_field(
    client: TestClient, task: dict[str, Any], field: str
) -> None:
    response = score_one(client, task)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"][0]
    text = " ".join(str(part) for part in detail["loc"]) + " " + detail["msg"]
    assert field in text, detail


@pytest.mark.parametrize(
    "shape",
    [
        {
            "choices": ["A", "B", "C", "D"],
            "options": ["Rome", "Madrid", "Paris", "Berlin"],
        },  # MMLU / MMLU-Pro
        {"options": {"A": "Rome", "B": "Madrid", "C": "Paris", "D": "Berlin"}},
        {"options": [{"A": "Rome"}, {"B": "Madrid"}, {"C": "Paris"}, {"D": "Berlin"}]},  # NeMo-Gym MCQA
        {"options": ["Rome", "Madrid", "Paris", "Berlin"]},  # letters A, B, ... by position
        {"choices": {"text": ["Rome", "Madrid", "Paris", "Berlin"], "label": ["A", "B", "C", "D"]}},  # ARC
    ],
)
def test_option_texts_in_the_shapes_public_sets_use(client: TestClient, shape: dict[str, Any]) -> None:
    response = score_one(client, {"type": "choice", "answer": "C", **shape}, "</think>The answer is Paris.")
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["scores"]["accuracy"] == 1.0, result
    assert result["details"]["accuracy"]["extracted_from"] == "option_text"


def _row(extracted: str | None, correct: bool) -> dict[str, Any]:
    details = {"extracted": extracted, "extracted_from": "answer_is", "answer_kind": "letter", "gold": "C"}
    return {
        "scores": {"accuracy": float(correct)},
        "details": {"accuracy": details},
        "reward": float(correct),
    }


def test_majority_votes_group_by_the_extracted_letter() -> None:
    def never(first: str, second: str) -> bool:
        raise AssertionError("letters are compared exactly, not by math equivalence")

    rows = [
        _row("C", True),
        _row("A", False),
        _row("A", False),
        _row(None, False),
        _row("C", True),
        _row("A", False),
    ]
    summary = group_summary("q", rows, [1, 4], never)
    assert summary["maj"] is False  # A has 3 votes, C 2; the sample without an answer does not vote
    assert summary["pass_at_k"]["1"] == pytest.approx(2 / 6)
    rows = [_row("A", False), _row("C", True), _row("C", True), _row(["A", "C"], False)]  # type: ignore[arg-type]
    assert group_summary("q", rows, [1], never)["maj"] is True


@pytest.mark.parametrize(
    "spray",
    [
        "Answer: A B C D",
        "Answer: (A)(B)(C)(D)",
        "\\boxed{A}\\boxed{B}\\boxed{C}\\boxed{D}",
        "Answer: A\nAnswer: B\nAnswer: C\nAnswer: D",
        "Answer:\nA) Rome\nB) Madrid\nC) Paris\nD) Berlin",
        "A) Rome\nB) Madrid\nC) Paris\nD) Berlin",
        "Answer: ABCD",
        "<!-- Answer: C -->I do not know.",
        "Answer: C\n\n\\boxed{A}",
    ],
)
def test_offering_every_letter_or_hiding_one_pays_nothing(spray: str) -> None:
    for gold in "ABCD":
        assert check_choice(f"</think>{spray}", gold, "ABCD", OPTIONS).score == 0.0, (spray, gold)


def test_a_long_unclosed_think_block_stays_unfinished() -> None:
    completion = "<think>" + "Let me weigh the options. " * 2000 + "The answer is C."
    verdict = check_choice(completion, "C", "ABCD")
    assert verdict.score == 0.0 and verdict.details["status"] == "unfinished"
    stray = "<think>x</think>Answer: C</think>" + "Answer: A " * 3000
    assert check_choice(stray, "C", "ABCD").score == 1.0, "text after a stray second </think> is not read"


def test_a_long_text_opening_with_a_numbered_heading_is_an_outline_not_an_answer() -> None:
    outline = "I. Analysis\nThe reaction is exothermic, so the rate falls as it warms. " * 8
    for gold in "ABCDEFGHIJ":
        assert check_choice(f"</think>{outline}", gold, "ABCDEFGHIJ").score == 0.0
    assert check_choice("</think>D. It cannot be A or B.", "D", "ABCD").score == 1.0
