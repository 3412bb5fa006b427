"""Math answers when the prompt opens the think block (R1 / Qwen3 chat templates end it with "<think>\\n")."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_box_inside_a_think_block_the_prompt_opened_is_no_answer(client: TestClient) -> None:
    task = {"type": "math", "answer": "4"}
    messages = [{"role": "user", "content": "2 + 2?"}, {"role": "assistant", "content": "<think>\n"}]
    templated = "<|im_start|>user\n2 + 2?<|im_end|>\n<|im_start|>assistant\n<think>\n"
    items = [
        {"prompt": messages, "completion": "Maybe \\boxed{4}, let me check that once more", "task": task},
        {"prompt": templated, "completion": "The answer is 4? Let me check", "task": task},
        {"prompt": messages, "completion": "Maybe 5.</think>\n\n\\boxed{4}", "task": task},
        {"prompt": "2 + 2?", "completion": "\\boxed{4}", "task": task},
    ]
    response = client.post("/v1/score", json={"items": items, "rewards": {"accuracy": 1.0}})
    assert response.status_code == 200, response.text
    assert [r["scores"]["accuracy"] for r in response.json()["results"]] == [0.0, 0.0, 1.0, 1.0]
