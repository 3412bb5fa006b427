"""`POST /get_reward`: OpenRLHF's remote reward protocol, answered by reward-server."""

from __future__ import annotations

import json

from reward_server.routes.openrlhf import (
    OpenRLHFRequest,
    label_task,
    openrlhf_response,
    response_text,
    score_items,
)

PROMPT = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
RIGHT = "<think>2 and 2 make 4</think><answer>\\boxed{4}</answer>"
WRONG = "<think>2 and 2 make 5</think><answer>\\boxed{5}</answer>"


def test_response_is_the_query_after_its_prompt_without_trailing_special_tokens() -> None:
    assert response_text(PROMPT + RIGHT + "<|im_end|><|endoftext|>", PROMPT) == RIGHT
    assert (
        response_text("<|endoftext|><|endoftext|>" + PROMPT + RIGHT + "</s>", PROMPT) == RIGHT
    )  # left padding
    assert response_text("no prompt in here \\boxed{1}", "something else") == "no prompt in here \\boxed{1}"
    assert response_text(PROMPT + "a <|im_end|> b", PROMPT) == "a <|im_end|> b", "only trailing tokens go"


def test_labels_are_gold_answers_or_json_tasks() -> None:
    assert label_task("4") == {"type": "math", "answer": "4"}
    assert label_task('{"type": "none"}') == {"type": "none"}
    assert label_task("{1, 2}") == {"type": "math", "answer": "{1, 2}"}, "a LaTeX set is an answer, not JSON"
    assert label_task(None) == {"type": "none"}


def test_request_becomes_score_items_in_sample_order() -> None:
    request = OpenRLHFRequest(
        query=[PROMPT + RIGHT, PROMPT + WRONG], prompts=[PROMPT, PROMPT], labels=["4", "4"]
    )
    items = score_items(request)
    assert [item["completion"] for item in items] == [RIGHT, WRONG]
    assert [item["id"] for item in items] == ["0", "1"]
    assert items[0]["prompt"] == PROMPT and items[0]["task"] == {"type": "math", "answer": "4"}


def test_response_has_one_value_per_sample_in_every_list() -> None:
    results = [
        {"id": "0", "reward": 1.5, "scores": {"accuracy": 1.0, "format": 1.0}, "error": None},
        {"id": "1", "reward": None, "scores": {}, "error": "accuracy: gold answer missing"},
        {"id": "2", "reward": 0.5, "scores": {"accuracy": 0.0, "format": 1.0}, "error": None},
    ]
    response = openrlhf_response(results)
    assert response.rewards == [1.5, 0.0, 0.5]
    assert response.scores == [1.0, 0.0, 0.0]
    assert response.extra_logs == {
        "accuracy": [1.0, 0.0, 0.0],
        "format": [1.0, 0.0, 1.0],
        "reward_error": [0.0, 1.0, 0.0],
    }
    json.dumps(response.model_dump())  # what the route sends
