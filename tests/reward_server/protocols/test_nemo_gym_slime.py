"""`POST /verify` (NeMo-Gym resources server) and `POST /remote_rm` (slime), answered by reward-server."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

RIGHT = "<think>2 and 2 make 4</think><answer>\\boxed{4}</answer>"


def verify_body(text: str, **row: Any) -> dict[str, Any]:
    """What NeMo-Gym's agent posts: the create params, the Responses-API response, the dataset row."""
    return {
        "responses_create_params": {
            "input": [{"role": "user", "content": "What is 2+2?"}],
            "instructions": "Answer in \\boxed{}.",
            "temperature": 1.0,
        },
        "response": {
            "id": "resp_1",
            "created_at": 0.0,
            "model": "policy",
            "object": "response",
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "output": [
                {
                    "id": "rs_1",
                    "type": "reasoning",
                    "summary": [{"type": "summary_text", "text": "\\boxed{5}"}],
                },
                {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                },
            ],
        },
        **row,
    }


def test_verify_echoes_the_request_with_reward_and_components(client: TestClient) -> None:
    body = verify_body(RIGHT, expected_answer="4", rewards={"accuracy": 1.0, "format": 0.5}, row_id=7)
    response = client.post("/verify", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["reward"] == 1.5
    assert answer["reward_components"] == {"accuracy": 1.0, "format": 1.0}
    assert answer["reward_error"] is None
    for key in ("responses_create_params", "response", "expected_answer", "row_id"):
        assert answer[key] == body[key], key


def test_verify_reads_only_the_assistant_message_not_the_reasoning(client: TestClient) -> None:
    body = verify_body("I think it is \\boxed{5}", expected_answer=["4", "four"], rewards={"accuracy": 1.0})
    answer = client.post("/verify", json=body).json()
    assert (answer["reward"], answer["reward_error"]) == (0.0, None)
    assert "reward_components" not in answer, "one component: reward alone"


def test_verify_without_a_gold_marks_the_sample_unscored(client: TestClient) -> None:
    answer = client.post("/verify", json=verify_body(RIGHT, rewards={"accuracy": 1.0})).json()
    assert answer["reward"] == 0.0 and "accuracy" in answer["reward_error"]
    answer = client.post(
        "/verify", json=verify_body(RIGHT, task={"type": "none"}, rewards={"format": 1.0})
    ).json()
    assert (answer["reward"], answer["reward_error"]) == (1.0, None)


def test_verify_refuses_a_request_without_a_response(client: TestClient) -> None:
    response = client.post("/verify", json={"responses_create_params": {"input": "hi"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "response"]


def test_slime_remote_rm_answers_the_reward_as_a_number(client: TestClient) -> None:
    body = {"prompt": "What is 2+2?", "response": RIGHT, "label": "4"}
    response = client.post("/remote_rm", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == 2.0  # the test server's defaults: accuracy 1 + format 1
    details = client.post("/remote_rm/details", json={**body, "label": 5}).json()
    assert details == {"reward": 1.0, "scores": {"accuracy": 0.0, "format": 1.0}, "error": None}


def test_slime_remote_rm_refuses_what_it_cannot_score_instead_of_a_zero(client: TestClient) -> None:
    response = client.post("/remote_rm", json={"prompt": "q", "response": RIGHT, "label": None})
    assert response.status_code == 422 and "accuracy" in response.text
    response = client.post("/remote_rm", json={"prompt": "q", "response": RIGHT, "label": True})
    assert response.status_code == 422
    details = client.post("/remote_rm/details", json={"response": RIGHT, "label": {"answer": "4"}}).json()
    assert details["reward"] is None and "label" in details["error"]
