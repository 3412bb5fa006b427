"""Multiple-choice readings left wrong by the first rounds: a second letter offered in prose after
the answer, answers written in Chinese, Japanese or Korean or in full-width characters, and an
MMLU-Pro answer that opens with a Roman-numeral heading "I."."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reward_server.rewards.choice import check_choice

OPTIONS = {"A": "Rome", "B": "Madrid", "C": "Paris", "D": "Berlin"}
A_TO_J = "ABCDEFGHIJ"
MMLU_PRO_OPTIONS = dict(zip(A_TO_J, [str(n) for n in range(1, 11)], strict=True))  # option I is "9"


@pytest.mark.parametrize(
    "completion",
    [
        "C. D is also possible.",
        "The answer is C, though D could also be right.",
        "C or maybe D",
        "Either C or D.",
        "The answer is C. Or maybe D.",
        "**Answer: C**\n\nOption D might also be correct.",
        "\\boxed{C}, but it could also be D.",
        "Option C is correct, though (D) is equally plausible.",
        "The answer is C, although possibly D.",
        "答案是 C，但也可能是 D。",
        "答案是C或D",
        "Either C or D is correct.",
        "Option C or option D is the best answer.",
        "**Answer: C**\n\n(or D)",
        "The answer is C.\nOr D.",
        "The answer is C. D would also be correct.",
        "C\n\nD is also a valid answer.",
        "答案是C。D也对。",
        "正解は C と D",
        "정답은 C와 D",
    ],
)
def test_a_second_letter_offered_in_prose_after_the_answer_is_a_hedge(completion: str) -> None:
    for gold in "CD":
        result = check_choice(f"</think>{completion}", gold, "ABCD", OPTIONS)
        assert result.score == 0.0, (gold, result.details)
        assert result.details["status"] == "hedged", result.details


@pytest.mark.parametrize(
    "completion",
    [
        "C. D is wrong because Berlin is in Germany.",
        "The answer is C, not D.",
        "C (D would need x>0)",
        "The answer is C. D could be right only if the question asked about Germany.",
        "The answer is C. D is also wrong.",
        "The answer is C, but I could be wrong.",
        "The answer is C. D might seem correct at first, but Berlin is in Germany.",
        "The answer is C. D might be correct, though it is not.",
        "答案是 C，不可能是 D。",
        "答案是 C，不太可能是 D。",
        "答案是C。D也不对。",
        "The answer is C. D is not correct either, and B as well.",
        "The answer is C. Also, D is wrong.",
        "The answer is C. Vitamin D might be correct for bones.",
        "答案是C。D不对。",
    ],
)
def test_a_committed_answer_that_names_another_letter_to_reject_it_still_pays(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS)
    assert result.score == 1.0, result.details
    assert check_choice(f"</think>{completion}", "D", "ABCD", OPTIONS).score == 0.0


@pytest.mark.parametrize(
    "completion",
    [
        "**C**\n\nParis is the capital of France.",
        "(C)\nParis is the capital.",
        "C (the capital)",
        "C (not A)",
    ],
)
def test_a_letter_alone_on_the_first_line_with_its_explanation_below_pays(completion: str) -> None:
    assert check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS).score == 1.0


@pytest.mark.parametrize(
    "completion", ["A (Rome) is in Italy.\nB (Madrid) is in Spain.\nSo:\nC", "B) Madrid is wrong.\n\nC"]
)
def test_a_last_line_answer_after_options_discussed_in_prose_pays(completion: str) -> None:
    assert check_choice(f"</think>{completion}", "C", "ABCD", OPTIONS).score == 1.0


@pytest.mark.parametrize(
    "completion",
    [
        "A\nB\nC\nD",
        "A\n\nB\n\nC\n\nD",
        "**C**\n**D**",
        "A (Rome)\nB (Madrid)\nC (Paris)\nD (Berlin)",
        "A (wrong)\nB (wrong)",
        "A (not the capital)",
        "A. Not a good choice.",
    ],
)
def test_letters_listed_one_a_line_or_disowned_in_brackets_pay_nothing(completion: str) -> None:
    for gold in "ABCD":
        assert check_choice(f"</think>{completion}", gold, "ABCD", OPTIONS).score == 0.0, gold


@pytest.mark.parametrize(
    "completion", ["答案是C。等等，不对。", "答案是C，不对，是D。", "答えは C。いや、違う。"]
)
def test_an_answer_taken_back_in_chinese_or_japanese_commits_to_nothing(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "C", "ABCD")
    assert result.score == 0.0 and result.details["status"] == "retracted", result.details


def test_the_pronoun_i_after_an_answer_is_not_a_second_option() -> None:
    for completion in ["The answer is C, but maybe I am wrong.", "The answer is C, though I might be right."]:
        assert check_choice(f"</think>{completion}", "C", A_TO_J).score == 1.0, completion


@pytest.mark.parametrize(
    "completion",
    [
        "答案是 C",
        "答案：C",
        "正确答案是（C）",
        "选C",
        "故选：C",
        "所以答案是C。",
        "因此，正确选项是 C，因为巴黎是法国的首都。",
        "答案为C项",
        "Ｃ",
        "（Ｃ）",
        "\\boxed{Ｃ}",
        "Ａｎｓｗｅｒ：Ｃ",
        "答えは C です。",
        "正解は C",
        "정답은 C입니다.",
        "选项C正确。",
        "C项是正确的",
        "C。不是 A",  # lighteval's Chinese letter test form
    ],
)
def test_answers_in_chinese_japanese_korean_and_full_width_are_read(completion: str) -> None:
    result = check_choice(f"<think>法国的首都是巴黎。</think>\n{completion}", "C", "ABCD", OPTIONS)
    assert result.score == 1.0, result.details
    assert result.details["extracted"] == "C"
    assert check_choice(f"</think>{completion}", "A", "ABCD", OPTIONS).score == 0.0


@pytest.mark.parametrize(
    "completion",
    [
        "A 和 B 都不对",
        "选项A是罗马，选项B是马德里。",
        "答案不是C。",
        "我不确定，可能是 A 或 C。",
        "选A还是C呢？",
        "答案A是错的。",
        "答案是A吗？",
        "选A的话，不对。",
        "选项A不正确。",
        "选项A正确吗？",
        "A对应罗马。",
        "The answer is A?",
        "A。不对。",
    ],
)
def test_chinese_prose_that_only_mentions_a_letter_pays_nothing(completion: str) -> None:
    for gold in "ABCD":
        result = check_choice(f"</think>{completion}", gold, "ABCD", OPTIONS)
        assert result.score == 0.0, (gold, result.details)


@pytest.mark.parametrize(
    "completion",
    [
        "I. Introduction\nThe reaction is exothermic, so the rate falls as it warms.",
        "I. First, we note that the rate falls as the mixture warms.",
        "**I. Analysis**\nThe rate falls as it warms.",
        "I. The Reaction\nIt is exothermic.\nII. The Rate\nIt falls.",
        "I) Understanding the question\nWe need the rate.",
        "I\nIntroduction\nThe rate falls as it warms.",
        "Ⅰ. Introduction\nThe rate falls as it warms.",
    ],
)
def test_a_roman_numeral_heading_is_not_option_i(completion: str) -> None:
    for options in (None, MMLU_PRO_OPTIONS):
        result = check_choice(f"</think>{completion}", "I", A_TO_J, options)
        assert result.score == 0.0, result.details


@pytest.mark.parametrize(
    "completion",
    [
        "I. 9",
        "I. 9, since 3 * 3 = 9.",
        "Answer: I",
        "I. Introduction\nWe compute 3 * 3 = 9.\n\nAnswer: I",
        "I. It cannot be A or B, since both are even.",
        "I",
    ],
)
def test_option_i_written_as_an_answer_still_pays(completion: str) -> None:
    result = check_choice(f"</think>{completion}", "I", A_TO_J, MMLU_PRO_OPTIONS)
    assert result.score == 1.0, result.details


def test_a_chinese_answer_through_the_api(client: TestClient) -> None:
    task = {"type": "choice", "options": list(OPTIONS.values()), "answer": "C"}
    completions = [
        "<think>巴黎</think>故选：C",
        "</think>答案是（Ｃ）",
        "</think>A 和 B 都不对",
        "</think>答案是C或D",
    ]
    response = client.post(
        "/v1/score",
        json={"items": [{"completion": c, "task": task} for c in completions], "rewards": {"accuracy": 1.0}},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["scores"]["accuracy"] for r in results] == [1.0, 1.0, 0.0, 0.0]
    assert results[3]["details"]["accuracy"]["status"] == "hedged"
