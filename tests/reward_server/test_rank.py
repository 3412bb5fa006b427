"""POST /v1/rank: rejection sampling — filter by rule rewards, order by the reward model, keep top_k."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.reward_model import RewardModelSpec
from tests.support.tiny_reward_models import build_llama_reward_model

PROMPT = "What is 1/2 + 1/2?"
RIGHT = [
    "<think>Halves add to one.</think><answer>\\boxed{1}</answer>",
    "<think>1/2 + 1/2 = 2/2 = 1</think><answer>The sum is \\boxed{1}.</answer>",
    "<think>Two halves make a whole, so the answer is one.</think><answer>\\boxed{1}</answer>",
]
WRONG = [
    "<think>Add tops and bottoms: 2/4.</think><answer>\\boxed{\\frac{1}{2}}</answer>",
    "<think>I guess.</think><answer>\\boxed{2}</answer>",
]


@pytest.fixture(scope="module")
def rank_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = build_llama_reward_model(tmp_path_factory.mktemp("rank-models") / "rm")
    settings = Settings(
        cpu_workers=1, max_batch_items=64, reward_models=[RewardModelSpec(path=str(path), device="cpu")]
    )
    with TestClient(create_app(settings)) as client:
        yield client


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def model_scores(client: TestClient, prompt: str, completions: list[str]) -> list[float]:
    body = {"items": [{"prompt": prompt, "completion": c} for c in completions], "rewards": {"model": 1}}
    return [r["scores"]["model"] for r in post(client, "/v1/score", body)["results"]]


def test_only_correct_completions_are_ranked_best_first(rank_client: TestClient) -> None:
    completions = [WRONG[0], RIGHT[0], RIGHT[1], WRONG[1], RIGHT[2]]
    body = {
        "groups": [
            {
                "id": "q1",
                "prompt": PROMPT,
                "completions": completions,
                "task": {"type": "math", "answer": "1"},
            }
        ],
        "top_k": 2,
    }
    [group] = post(rank_client, "/v1/rank", body)["groups"]
    scores = model_scores(rank_client, PROMPT, completions)
    correct = [1, 2, 4]
    expected_order = sorted(correct, key=lambda i: -scores[i])
    assert group["id"] == "q1"
    assert group["top"] == expected_order[:2]
    ranked = [c for c in group["ranking"] if c["rank"] is not None]
    assert [c["index"] for c in ranked] == expected_order
    assert [c["rank"] for c in ranked] == [1, 2, 3]
    for c in ranked:
        assert c["reward"] == pytest.approx(scores[c["index"]], abs=1e-4)
        assert c["scores"]["accuracy"] == 1.0 and c["passed_filters"] is True
    filtered = [c for c in group["ranking"] if c["rank"] is None]
    assert sorted(c["index"] for c in filtered) == [0, 3]
    for c in filtered:
        assert c["passed_filters"] is False and c["reward"] is None
        assert c["scores"]["accuracy"] == 0.0 and c["details"]["filtered_by"] == ["accuracy"]
        assert "model" not in c["scores"]  # the reward model never saw them


def test_without_a_task_every_completion_is_ranked(rank_client: TestClient) -> None:
    completions = ["Sure, here it is.", "No.", "Let me explain step by step why the sky is blue.", "Blue."]
    [group] = post(
        rank_client,
        "/v1/rank",
        {"groups": [{"prompt": "Why is the sky blue?", "completions": completions}], "top_k": 3},
    )["groups"]
    scores = model_scores(rank_client, "Why is the sky blue?", completions)
    order = sorted(range(4), key=lambda i: -scores[i])
    assert [c["index"] for c in group["ranking"]] == order
    assert group["top"] == order[:3]


def test_several_groups_keep_their_own_order(rank_client: TestClient) -> None:
    groups = [
        {
            "id": 1,
            "prompt": PROMPT,
            "completions": [RIGHT[0], WRONG[1]],
            "task": {"type": "math", "answer": "1"},
        },
        {
            "id": 2,
            "prompt": "What is 2+2?",
            "completions": ["<answer>\\boxed{4}</answer>", "<answer>5</answer>"],
            "task": {"type": "math", "answer": "4"},
        },
    ]
    result = post(rank_client, "/v1/rank", {"groups": groups})["groups"]
    assert [g["id"] for g in result] == [1, 2]
    assert [g["top"] for g in result] == [[0], [0]]


def test_empty_filters_rank_everything_and_custom_filters_apply(rank_client: TestClient) -> None:
    group = {
        "prompt": PROMPT,
        "completions": [WRONG[0], RIGHT[0], "no tags \\boxed{1}"],
        "task": {"type": "math", "answer": "1"},
    }
    [everything] = post(rank_client, "/v1/rank", {"groups": [group], "filters": {}, "top_k": 3})["groups"]
    assert sorted(everything["top"]) == [0, 1, 2]
    [strict] = post(rank_client, "/v1/rank", {"groups": [group], "filters": {"accuracy": 1, "format": 1}})[
        "groups"
    ]
    assert strict["top"] == [1]  # the untagged answer is right but badly formatted
    untagged = next(c for c in strict["ranking"] if c["index"] == 2)
    assert untagged["details"]["filtered_by"] == ["format"]


def test_rule_rewards_can_rank_without_a_model(client: TestClient) -> None:
    completions = ["\\boxed{1}", RIGHT[0]]
    body = {"groups": [{"prompt": PROMPT, "completions": completions}], "rewards": {"format": 1.0}}
    [group] = post(client, "/v1/rank", body)["groups"]
    assert group["top"] == [1]
    assert [c["reward"] for c in group["ranking"]] == [1.0, 0.0]


def test_ties_keep_sampling_order_and_top_k_may_exceed_survivors(client: TestClient) -> None:
    completions = [RIGHT[0], RIGHT[2], WRONG[1], RIGHT[1]]
    body = {
        "groups": [{"prompt": PROMPT, "completions": completions, "task": {"type": "math", "answer": "1"}}],
        "rewards": {"format": 1.0},
        "top_k": 10,
    }
    [group] = post(client, "/v1/rank", body)["groups"]
    assert group["top"] == [0, 1, 3]


def test_a_completion_that_fails_is_reported_not_ranked(client: TestClient) -> None:
    body = {
        "groups": [{"prompt": PROMPT, "completions": [RIGHT[0], "<answer>1</answer>"]}],
        "rewards": {"accuracy": 1},
    }
    [group] = post(client, "/v1/rank", body)["groups"]
    assert group["top"] == []  # accuracy needs a task: every item fails, none is ranked
    assert all(c["error"] and "accuracy" in c["error"] and c["rank"] is None for c in group["ranking"])


def test_chat_message_completions_are_ranked(rank_client: TestClient) -> None:
    completions = [[{"role": "assistant", "content": c}] for c in RIGHT[:2]]
    prompt = [{"role": "user", "content": PROMPT}]
    [group] = post(rank_client, "/v1/rank", {"groups": [{"prompt": prompt, "completions": completions}]})[
        "groups"
    ]
    scores = model_scores(rank_client, PROMPT, RIGHT[:2])
    assert group["top"] == [max(range(2), key=lambda i: scores[i])]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"groups": []}, ["body", "groups"], "at least 1"),
        ({"groups": [{"completions": []}]}, ["body", "groups", 0, "completions"], "at least 1"),
        ({"groups": [{"completions": ["a"]}], "top_k": 0}, ["body", "top_k"], "greater than or equal to 1"),
        (
            {"groups": [{"completions": ["a"]}], "filters": {"vibes": 1}},
            ["body", "filters"],
            "unknown reward",
        ),
        (
            {"groups": [{"completions": ["a"]}], "rewards": {"model:nope": 1}},
            ["body", "rewards", "model:nope"],
            "not loaded",
        ),
    ],
)
def test_bad_requests_name_the_field(
    rank_client: TestClient, body: dict[str, Any], loc: list[Any], message: str
) -> None:
    detail = post(rank_client, "/v1/rank", body, status=422)["detail"]
    assert any(d["loc"][: len(loc)] == loc and message in d["msg"] for d in detail), detail


def test_ranking_by_the_model_needs_a_loaded_model(client: TestClient) -> None:
    detail = post(client, "/v1/rank", {"groups": [{"completions": ["a", "b"]}]}, status=422)["detail"]
    assert detail[0]["loc"] == ["body", "rewards", "model"] and "--reward-model" in detail[0]["msg"]


def test_too_many_completions_in_all_is_413(rank_client: TestClient) -> None:
    groups = [{"completions": ["x"] * 40}, {"completions": ["y"] * 40}]
    detail = post(rank_client, "/v1/rank", {"groups": groups}, status=413)["detail"]
    assert "80 items exceed" in detail[0]["msg"]
    assert detail[0]["loc"] == ["body", "groups"]
