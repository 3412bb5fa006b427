"""`POST /get_reward`: OpenRLHF's remote reward protocol, answered by reward-server."""

from __future__ import annotations

import asyncio
import json
import math

import httpx
import pytest
from fastapi.testclient import TestClient

from reward_server.config import Settings
from reward_server.protocols.openrlhf import (
    OpenRLHFRequest,
    ResponseNotFound,
    candidates,
    openrlhf_response,
    response_text,
)
from reward_server.protocols.samples import LabelError, label_tasks
from reward_server.schemas import ScoreResult

PROMPT = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
RIGHT = "<think>2 and 2 make 4</think><answer>\\boxed{4}</answer>"
WRONG = "<think>2 and 2 make 5</think><answer>\\boxed{5}</answer>"


def test_response_is_the_query_after_its_prompt_without_trailing_special_tokens() -> None:
    assert response_text(PROMPT + RIGHT + "<|im_end|><|endoftext|>", PROMPT) == RIGHT
    assert (
        response_text("<|endoftext|><|endoftext|>" + PROMPT + RIGHT + "</s>", PROMPT) == RIGHT
    )  # left padding
    with pytest.raises(ResponseNotFound, match="max_len"):
        response_text("no prompt in here \\boxed{1}", "something else")
    assert response_text(PROMPT + "a <|im_end|> b", PROMPT) == "a <|im_end|> b", "only trailing tokens go"


def test_labels_are_gold_answers_numbers_lists_or_json_tasks() -> None:
    assert label_tasks("4") == [{"type": "math", "answer": "4"}]
    assert label_tasks('{"type": "none"}') == [{"type": "none"}]
    assert label_tasks("{1, 2}") == [{"type": "math", "answer": "{1, 2}"}], "a LaTeX set is an answer"
    assert label_tasks(None) == label_tasks("") == [{"type": "none"}], "no --data.label_key: no task"
    assert label_tasks(4) == label_tasks(4.0) == [{"type": "math", "answer": "4"}]
    assert label_tasks(0.25) == [{"type": "math", "answer": "0.25"}]
    assert label_tasks(["4", 4.5]) == [{"type": "math", "answer": "4"}, {"type": "math", "answer": "4.5"}]
    for bad in (True, [], {"answer": "4"}, float("nan")):
        with pytest.raises(LabelError):
            label_tasks(bad)  # type: ignore[arg-type]


def test_request_becomes_score_items_in_sample_order() -> None:
    request = OpenRLHFRequest(
        query=[PROMPT + RIGHT, PROMPT + WRONG], prompts=[PROMPT, PROMPT], labels=["4", "4"]
    )
    found, errors = candidates(request)
    items = [c.item for c in found]
    assert errors == {} and [c.sample for c in found] == [0, 1]
    assert [item["completion"] for item in items] == [RIGHT, WRONG]
    assert [item["id"] for item in items] == ["0", "1"]
    assert items[0]["prompt"] == PROMPT and items[0]["task"] == {"type": "math", "answer": "4"}


def test_response_has_one_value_per_sample_in_every_list() -> None:
    results = [
        ScoreResult(id="0", reward=1.5, scores={"accuracy": 1.0, "format": 1.0}),
        ScoreResult(id="1", reward=None, scores={}, error="accuracy: gold answer missing"),
        ScoreResult(id="2", reward=0.5, scores={"accuracy": 0.0, "format": 1.0}),
    ]
    response = openrlhf_response(results, {"accuracy": 1.0, "format": 0.5})
    assert response.rewards == [1.5, 0.0, 0.5]
    assert response.scores == [1.0, 0.0, 0.0]
    assert response.extra_logs == {
        "accuracy": [1.0, 0.0, 0.0],
        "format": [1.0, 0.0, 1.0],
        "reward_error": [0.0, 1.0, 0.0],
    }
    json.dumps(response.model_dump())  # what the route sends


# ---------------------------------------------------------------- the route


def test_get_reward_scores_each_query_against_its_label(client: TestClient) -> None:
    body = {
        "query": [PROMPT + RIGHT + "<|im_end|>", PROMPT + WRONG + "<|im_end|>", PROMPT + "\\boxed{4}"],
        "prompts": [PROMPT] * 3,
        "labels": ["4", "4", '{"type": "math", "answer": "4"}'],
        "rewards": {"accuracy": 1.0, "format": 0.5},
    }
    response = client.post("/get_reward", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["rewards"] == [1.5, 0.5, 1.0]
    assert answer["scores"] == [1.0, 0.0, 1.0]
    assert answer["extra_logs"] == {
        "accuracy": [1.0, 0.0, 1.0],
        "format": [1.0, 1.0, 0.0],
        "reward_error": [0.0, 0.0, 0.0],
    }


def test_a_bad_label_fails_only_its_sample(client: TestClient) -> None:
    body = {
        "query": [PROMPT + RIGHT, PROMPT + RIGHT],
        "prompts": [PROMPT, PROMPT],
        "labels": ['{"type": "chess", "answer": "e4"}', "4"],
        "rewards": {"accuracy": 1.0},
    }
    response = client.post("/get_reward", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["rewards"] == [0.0, 1.0]
    assert answer["scores"] == [0.0, 1.0]
    assert answer["extra_logs"]["reward_error"] == [1.0, 0.0]


def test_on_failure_mask_gives_a_failed_sample_a_nan_score_and_still_a_numeric_reward(
    client: TestClient,
) -> None:
    # OpenRLHF 0.11.2 drops a prompt group whose mean score is outside its dynamic-filtering range,
    # which a NaN mean always is; its aiohttp client reads the NaN token with json.loads.
    body = {
        "query": [PROMPT + RIGHT, PROMPT + RIGHT],
        "prompts": [PROMPT, PROMPT],
        "labels": ['{"type": "chess", "answer": "e4"}', "4"],
        "rewards": {"accuracy": 1.0},
    }
    response = client.post("/get_reward?on_failure=mask", json=body)
    assert response.status_code == 200, response.text
    assert b"NaN" in response.content
    answer = json.loads(response.content)
    assert answer["rewards"] == [0.0, 1.0]
    assert math.isnan(answer["scores"][0]) and answer["scores"][1] == 1.0
    assert answer["extra_logs"]["reward_error"] == [1.0, 0.0]
    refused = client.post("/get_reward?on_failure=skip", json=body)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "on_failure"]


def test_mismatched_lists_are_refused_naming_the_field(client: TestClient) -> None:
    response = client.post("/get_reward", json={"query": ["a", "b"], "labels": ["1"]})
    assert response.status_code == 422
    assert "'labels' has 1 entries but 'query' has 2" in response.text


def test_unknown_reward_name_is_refused_naming_the_field(client: TestClient) -> None:
    response = client.post("/get_reward", json={"query": ["a"], "rewards": {"bogus": 1.0}})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "rewards"] and "unknown reward 'bogus'" in problem["msg"]


def test_oversized_batch_gets_413(client: TestClient, settings: Settings) -> None:
    count = settings.max_batch_items + 1
    response = client.post("/get_reward", json={"query": ["x"] * count, "labels": ["1"] * count})
    assert response.status_code == 413
    assert response.json()["detail"][0]["loc"] == ["body", "query"]


async def test_openrlhf_style_single_sample_requests_against_a_live_server(reward_server_url: str) -> None:
    # OpenRLHF >= 0.9.1 sends one sample per request, many at once.
    samples = [(RIGHT, "4"), (WRONG, "4"), ("It is \\boxed{\\frac{1}{2}}", "0.5"), ("no idea", "3")]
    async with httpx.AsyncClient(base_url=reward_server_url, timeout=60) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/get_reward",
                    json={"query": [PROMPT + text + "<|im_end|>"], "prompts": [PROMPT], "labels": [label]},
                )
                for text, label in samples
            )
        )
    assert all(r.status_code == 200 for r in responses)
    assert [r.json()["scores"][0] for r in responses] == [1.0, 0.0, 1.0, 0.0]


def test_without_prompts_a_templated_query_is_split_at_its_last_assistant_turn() -> None:
    padded = "<|endoftext|><|endoftext|>" + PROMPT + RIGHT + "<|im_end|><|endoftext|>"
    [sample], errors = candidates(OpenRLHFRequest(query=[padded], labels=["4"]))
    assert not errors
    assert sample.item["prompt"] == PROMPT, "left pads stripped, the template kept for the reward model"
    assert sample.item["completion"] == RIGHT
    [plain], _ = candidates(OpenRLHFRequest(query=["no template \\boxed{4}"]))
    assert "prompt" not in plain.item and plain.item["completion"] == "no template \\boxed{4}"


# ---------------------------------------------------------------- OpenRLHF 0.11.2's cases

LONG_PROMPT = (
    "<|im_start|>system\nSolve it. Worked example: 3+3? The answer is \\boxed{6}. "
    + "Think step by step. " * 20
    + "<|im_end|>\n<|im_start|>user\nWhat is 3+3?<|im_end|>\n<|im_start|>assistant\n"
)


def test_a_left_truncated_prompt_never_lets_its_worked_example_score() -> None:
    cut = LONG_PROMPT[len(LONG_PROMPT) // 2 :]  # OpenRLHF keeps the prompt's last tokens
    assert response_text(cut + "I refuse to answer<|im_end|>", LONG_PROMPT) == "I refuse to answer"
    assert response_text("\ufffd" + cut + "\\boxed{6}", LONG_PROMPT) == "\\boxed{6}", "a cut character"
    # only the assistant header survived the cut
    header_only = "<|im_start|>assistant\nI refuse"
    assert response_text(header_only, LONG_PROMPT) == "I refuse"
    with pytest.raises(ResponseNotFound):
        response_text("I refuse to answer", "a prompt without any chat template at all " * 3)


def test_extra_logs_have_the_same_keys_in_every_answer(client: TestClient) -> None:
    """OpenRLHF concatenates the extra_logs of one-sample requests; differing keys break its batching."""
    bodies = [
        {"query": [PROMPT + RIGHT], "prompts": [PROMPT], "labels": ["4"]},
        {"query": [PROMPT + RIGHT], "prompts": [PROMPT], "labels": ['{"type": "chess"}']},
        {"query": ["truncated beyond recognition"], "prompts": [PROMPT + "x" * 40], "labels": ["4"]},
        {"query": [PROMPT + RIGHT], "prompts": [PROMPT], "labels": [""]},
    ]
    answers = [client.post("/get_reward", json=body).json() for body in bodies]
    keys = {tuple(sorted(answer["extra_logs"])) for answer in answers}
    assert keys == {("accuracy", "format", "reward_error")}, answers
    assert [a["extra_logs"]["reward_error"] for a in answers] == [[0.0], [1.0], [1.0], [1.0]]
    assert [a["rewards"] for a in answers][:3] == [[2.0], [0.0], [0.0]]


def test_numeric_and_list_labels_are_gold_answers(client: TestClient) -> None:
    body = {
        "query": [PROMPT + RIGHT, PROMPT + RIGHT, PROMPT + WRONG, PROMPT + "It is \\boxed{four}"],
        "prompts": [PROMPT] * 4,
        "labels": [4, ["5", 4.0], [5.0, "five"], 4],
        "rewards": {"accuracy": 1.0},
    }
    response = client.post("/get_reward", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["rewards"] == [1.0, 1.0, 1.0, 0.0]


def test_a_label_free_run_scores_format_only(client: TestClient) -> None:
    body = {"query": [PROMPT + RIGHT, PROMPT + "4"], "prompts": [PROMPT] * 2, "labels": ["", ""]}
    answer = client.post("/get_reward", json={**body, "rewards": {"format": 1.0}}).json()
    assert answer["rewards"] == [1.0, 0.0]
    assert answer["extra_logs"] == {"format": [1.0, 0.0], "reward_error": [0.0, 0.0]}
