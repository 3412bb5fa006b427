"""Format rewards: the R1 template (one <think> block, then one non-empty <answer> block, nothing
else), TRL's looser think template, and prompts that open the think block themselves."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reward_server.rewards.format import check_format, check_think_format
from reward_server.rewards.text import with_prefilled_think


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


# --- format:think, the looser template of TRL's think_format_reward ----------------------------
@pytest.mark.parametrize(
    "completion",
    [
        "<think>1+1=2</think>The answer is 2.",
        "\n<think>\nstep\n</think>\n\\boxed{2}",
        "<think>1+1=2</think><answer>2</answer>",  # the R1 template is one of its answers
    ],
)
def test_think_template_followed_scores_one(completion: str) -> None:
    result = check_think_format(completion)
    assert result.score == 1.0
    assert result.details["ok"] is True


@pytest.mark.parametrize(
    ("completion", "reason"),
    [
        ("The answer is 2.", "exactly one <think>"),
        ("<think>a</think>2<think>b</think>", "exactly one <think>"),
        ("<think>a, then the answer 2", "exactly one <think>"),
        ("Sure! <think>a</think>2", "text before <think>"),
        ("</think>a<think>2", "text before <think>"),
        ("<think>a</think>  \n", "no answer"),
    ],
)
def test_think_template_broken_scores_zero_and_says_why(completion: str, reason: str) -> None:
    result = check_think_format(completion)
    assert result.score == 0.0
    assert reason in result.details["reason"]


# --- prefilled <think>: the prompt opens the block --------------------------------------------
PREFILLED = "<|im_start|>user\nWhat is 2 plus 2?<|im_end|>\n<|im_start|>assistant\n<think>\n"
CONTINUATION = "First, 2 plus 2 equals 4.\n</think>\n<answer>4</answer>"


@pytest.mark.parametrize(
    "prompt",
    [
        PREFILLED,  # a string prompt rendered by the chat template
        [{"role": "user", "content": "What is 2 plus 2?"}, {"role": "assistant", "content": "<think>\n"}],
    ],
)
def test_a_prompt_ending_with_the_think_tag_is_judged_with_the_completion(prompt: object) -> None:
    text, prefilled = with_prefilled_think(prompt, CONTINUATION)  # type: ignore[arg-type]
    assert prefilled is True
    assert text == "<think>\n" + CONTINUATION
    assert check_format(text).score == 1.0


@pytest.mark.parametrize(
    "prompt",
    [None, "What is 2 plus 2?", "Use <think> tags. What is 2 plus 2?", [{"role": "user", "content": "Hi"}]],
)
def test_other_prompts_leave_the_completion_alone(prompt: object) -> None:
    assert with_prefilled_think(prompt, CONTINUATION) == (CONTINUATION, False)  # type: ignore[arg-type]


def test_format_components_through_the_score_api(client: TestClient) -> None:
    body = {
        "items": [
            {"id": "prefilled", "prompt": PREFILLED, "completion": CONTINUATION},
            {"id": "unprefilled", "prompt": "What is 2 plus 2?", "completion": CONTINUATION},
            {"id": "loose", "completion": "<think>2 plus 2 is 4</think>\nSo it is 4."},
            {
                "id": "per-item",
                "completion": "<think>2 plus 2 is 4</think>\nSo it is 4.",
                "rewards": {"format": 0.0, "format:think": 1.0},
            },
        ],
        "rewards": {"format": 1.0},
    }
    response = client.post("/v1/score", json=body)
    assert response.status_code == 200, response.text
    results = {result["id"]: result for result in response.json()["results"]}
    assert results["prefilled"]["reward"] == 1.0
    assert results["prefilled"]["details"]["format"]["prefilled_think"] is True
    assert results["unprefilled"]["reward"] == 0.0
    assert results["loose"]["reward"] == 0.0  # the strict R1 template stays the default
    assert results["per-item"]["scores"] == {"format": 0.0, "format:think": 1.0}
    assert results["per-item"]["reward"] == 1.0

    body["rewards"] = {"format:think": 1.0, "format:r1": 0.5}
    results = {result["id"]: result for result in client.post("/v1/score", json=body).json()["results"]}
    assert results["loose"]["scores"] == {"format:think": 1.0, "format:r1": 0.0}
    assert results["prefilled"]["scores"] == {"format:think": 1.0, "format:r1": 1.0}


def test_an_unknown_format_template_is_a_422_naming_it(client: TestClient) -> None:
    response = client.post("/v1/score", json={"items": [{"completion": "x"}], "rewards": {"format:xml": 1.0}})
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["loc"][:2] == ["body", "rewards"]
    assert "format:think" in problem["msg"]
