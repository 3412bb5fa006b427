"""POST /v1/score: the public contract trainers rely on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

GOOD = "<think>1/2 + 1/2 = 1</think><answer>\\boxed{1}</answer>"


def score(client: TestClient, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = client.post("/v1/score", json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_the_documented_example(client: TestClient) -> None:
    body = {
        "items": [
            {
                "id": "a1",
                "prompt": "What is 1/2 + 1/2?",
                "completion": GOOD,
                "task": {"type": "math", "answer": "1"},
                "language": "en",
                "rewards": {"accuracy": 1.0, "format": 0.5},
            }
        ],
        "rewards": {"accuracy": 1.0, "format": 1.0, "language": 0.0},
    }
    [result] = score(client, body)["results"]
    assert result["id"] == "a1"
    assert result["error"] is None
    assert result["scores"]["accuracy"] == 1.0
    assert result["scores"]["format"] == 1.0
    assert set(result["scores"]) == {"accuracy", "format", "language"}
    assert result["reward"] == 1.0 * 1.0 + 0.5 * 1.0 + 0.0 * result["scores"]["language"]
    assert result["details"]["accuracy"]["extracted"]


def test_results_come_back_in_item_order(client: TestClient) -> None:
    items = [
        {
            "id": i,
            "completion": f"<think>t</think><answer>\\boxed{{{i}}}</answer>",
            "task": {"type": "math", "answer": "3"},
        }
        for i in range(8)
    ]
    results = score(client, {"items": items})["results"]
    assert [r["id"] for r in results] == list(range(8))
    assert [r["scores"]["accuracy"] for r in results] == [float(i == 3) for i in range(8)]


def test_server_defaults_apply_when_no_weights_are_given(client: TestClient) -> None:
    [result] = score(client, {"items": [{"completion": GOOD, "task": {"type": "math", "answer": "1"}}]})[
        "results"
    ]
    assert result["scores"] == {"accuracy": 1.0, "format": 1.0}
    assert result["reward"] == 2.0


def test_item_weights_override_batch_weights_per_key(client: TestClient) -> None:
    body = {
        "items": [{"completion": GOOD, "task": {"type": "math", "answer": "1"}, "rewards": {"format": 0.25}}],
        "rewards": {"accuracy": 2.0, "format": 1.0},
    }
    [result] = score(client, body)["results"]
    assert result["reward"] == 2.0 * 1.0 + 0.25 * 1.0


def test_chat_messages_score_the_last_assistant_message(client: TestClient) -> None:
    body = {
        "items": [
            {
                "prompt": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "1/2+1/2?"},
                ],
                "completion": [
                    {"role": "assistant", "content": "<think>x</think><answer>\\boxed{7}</answer>"},
                    {"role": "user", "content": "again"},
                    {"role": "assistant", "content": GOOD},
                ],
                "task": {"type": "math", "answer": "1"},
            }
        ]
    }
    [result] = score(client, body)["results"]
    assert result["scores"]["accuracy"] == 1.0


def test_accuracy_without_a_task_fails_that_item_only(client: TestClient) -> None:
    body = {
        "items": [
            {"id": "no-task", "completion": GOOD},
            {"id": "none-task", "completion": GOOD, "task": {"type": "none"}},
            {"id": "ok", "completion": GOOD, "task": {"type": "math", "answer": "1"}},
        ],
        "rewards": {"accuracy": 1.0, "format": 1.0},
    }
    bad, none_task, ok = score(client, body)["results"]
    for failed in (bad, none_task):
        assert failed["reward"] is None
        assert "accuracy" in failed["error"] and "task" in failed["error"]
        assert failed["scores"]["format"] == 1.0
        assert "accuracy" not in failed["scores"]  # a non-verdict is never a made-up 0
        assert failed["details"]["accuracy"] == {"failure": "invalid_item"}
    assert ok["error"] is None and ok["reward"] == 2.0
    assert "failure" not in ok["details"]["accuracy"]


def test_format_only_needs_no_task(client: TestClient) -> None:
    [result] = score(client, {"items": [{"completion": "no tags"}], "rewards": {"format": 1.0}})["results"]
    assert result == {
        "id": None,
        "reward": 0.0,
        "scores": {"format": 0.0},
        "details": result["details"],
        "error": None,
    }


def test_unknown_reward_name_is_refused_naming_the_field(client: TestClient) -> None:
    body = score(client, {"items": [{"completion": "x"}], "rewards": {"acuracy": 1.0}}, status=422)
    [error] = body["detail"]
    assert error["loc"] == ["body", "rewards"]
    assert "acuracy" in error["msg"]


def test_reward_model_without_a_loaded_model_is_refused(client: TestClient) -> None:
    body = score(client, {"items": [{"completion": "x", "rewards": {"model": 1.0}}]}, status=422)
    [error] = body["detail"]
    assert error["loc"] == ["body", "items", 0, "rewards", "model"]
    assert "--reward-model" in error["msg"]


def test_unknown_task_type_is_refused(client: TestClient) -> None:
    body = score(client, {"items": [{"completion": "x", "task": {"type": "chess"}}]}, status=422)
    assert body["detail"][0]["loc"][:4] == ["body", "items", 0, "task"]


def test_wrong_types_and_missing_fields_are_422(client: TestClient) -> None:
    assert score(client, {"items": [{"prompt": "p"}]}, status=422)["detail"][0]["loc"] == [
        "body",
        "items",
        0,
        "completion",
    ]
    score(client, {"items": "nope"}, status=422)
    score(client, {"items": [{"completion": "x", "task": {"type": "math"}}]}, status=422)
    score(client, {"items": [{"completion": "x"}], "rewards": {"format": "heavy"}}, status=422)


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/v1/score", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_oversized_batch_is_413_with_the_limit(client: TestClient) -> None:
    body = score(client, {"items": [{"completion": "x"}] * 65, "rewards": {"format": 1}}, status=413)
    assert "64" in body["detail"][0]["msg"]


def test_oversized_body_is_413_with_the_limit(client: TestClient) -> None:
    body = score(client, {"items": [{"completion": "x" * 300_000}], "rewards": {"format": 1}}, status=413)
    assert str(256 * 1024) in body["detail"][0]["msg"]


def test_pathological_answer_costs_its_budget_and_the_batch_comes_back(client: TestClient) -> None:
    nasty = "<think>t</think><answer>\\boxed{" + "(" * 3000 + "9^{9^{9^{9}}}" + ")" * 3000 + "}</answer>"
    items = [
        {"id": "nasty", "completion": nasty, "task": {"type": "math", "answer": "2"}},
        {"id": "fine", "completion": GOOD, "task": {"type": "math", "answer": "1"}},
    ]
    nasty_result, fine = score(client, {"items": items, "rewards": {"accuracy": 1}})["results"]
    assert fine["scores"]["accuracy"] == 1.0
    assert nasty_result["scores"]["accuracy"] == 0.0


def test_healthz_answers_when_the_service_can_score(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_null_fields_of_a_datasets_task_column_mean_not_given(client: TestClient) -> None:
    """A `datasets` column of dicts of two shapes sets each row's missing keys to None (TRL issue)."""
    code = {
        "type": "code",
        "language": "python",
        "tests": [{"stdin": None, "expected_stdout": "3\n"}],
        "answer": None,
        "test_code": None,
        "entry_point": None,
        "time_limit_s": None,
        "memory_limit_mb": None,
        "stop_on_first_failure": None,
        "float_tolerance": None,
    }
    math = {key: None for key in code} | {"type": "math", "answer": "1"}
    body = {"items": [{"completion": GOOD, "task": math}], "rewards": {"accuracy": 1.0}}
    [result] = score(client, body)["results"]
    assert (result["error"], result["reward"]) == (None, 1.0)

    from reward_server.schemas import CodeTask

    parsed = CodeTask.model_validate(code)
    assert parsed.tests is not None and parsed.tests[0].stdin == ""
    assert parsed.stop_on_first_failure is False and parsed.test_code is None


def test_a_null_required_task_field_is_still_refused_by_name(client: TestClient) -> None:
    body = {"items": [{"completion": GOOD, "task": {"type": "math", "answer": None, "tests": None}}]}
    [error] = score(client, body, status=422)["detail"]
    assert error["loc"] == ["body", "items", 0, "task", "math", "answer"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/score", {"items": [{"completion": "x"}], "rewards": {"accuracy": "NaN"}}),
        ("/v1/score", {"items": [{"completion": "x", "rewards": {"formt": 1.0}}]}),
        ("/get_reward", {"query": ["x"], "rewards": {"accuracy": "Infinity"}}),
        (
            "/verify",
            {"responses_create_params": {"input": "q"}, "response": {"output": []}, "rewards": {"x": 1}},
        ),
        ("/v1/rank", {"groups": [{"completions": ["a"]}], "filters": {"accuracy": "-Infinity"}}),
    ],
)
def test_every_weights_mapping_is_checked_the_same_way(client: TestClient, path: str, body: dict) -> None:
    """Weights and filters anywhere: reward names only, finite numbers only, a 422 naming the field."""
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    message = json.dumps(response.json())
    assert "unknown reward" in message or "must be a finite number" in message, message
