"""instruction_following through every way in: the Redis queue (real workers), the eval CLI,
OpenRLHF's /get_reward labels, and the TRL and verl adapters against a real `reward-server serve`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from tests.support.eval_runs import read_jsonl, run_eval, write_jsonl
from tests.support.queue_helpers import queue_settings, wait_for_job
from tests.support.redis_fixtures import RedisServer, unique_prefix, wait_for_workers, worker_processes
from trainer_client import compute_score_batch, make_trl_reward

NO_COMMA = {
    "type": "instruction_following",
    "instruction_id_list": ["punctuation:no_comma"],
    "kwargs": [None],
}
TWO = {
    "type": "ifeval",
    "instruction_id_list": ["punctuation:no_comma", "startend:end_checker"],
    "kwargs": [{}, {"end_phrase": "That is all."}],
}
FOLLOWS = "<think>first, I plan; then, I write</think>\n\nShort and plain. That is all."
HALF = "<think>plan</think>Short, with a comma. That is all."
NEITHER = "<think>plan</think>Short, with a comma."


@pytest.fixture(scope="module")
def queue_api(redis_server: RedisServer) -> Iterator[TestClient]:
    prefix = unique_prefix()
    with worker_processes() as spawn:
        spawn(redis_server.url, prefix)
        wait_for_workers(redis_server.client(), prefix, 1)
        with TestClient(create_app(queue_settings(redis_server, prefix))) as api:
            yield api


@pytest.mark.redis
def test_a_job_of_instruction_items_is_scored_by_a_queue_worker(queue_api: TestClient) -> None:
    items = [
        {"id": "all", "completion": FOLLOWS, "task": TWO},
        {"id": "half", "completion": HALF, "task": TWO},
        {"id": "half-aon", "completion": HALF, "task": {**TWO, "all_or_nothing": True}},
        {"id": "unclosed", "completion": "<think>no commas yet", "task": NO_COMMA},
    ]
    response = queue_api.post("/v1/jobs", json={"items": items, "rewards": {"accuracy": 1.0}})
    assert response.status_code == 202, response.text
    job = wait_for_job(queue_api, response.json()["job_id"])
    assert job["status"] == "done"
    assert [r["scores"]["accuracy"] for r in job["results"]] == [1.0, 0.5, 0.0, 0.0]
    verdicts = job["results"][1]["details"]["accuracy"]["instructions"]
    assert [v["followed"] for v in verdicts] == [False, True]
    assert "comma" in verdicts[0]["reason"]
    # A bad task is refused at the API, before it reaches Redis.
    bad = {"id": "x", "completion": "x", "task": {**NO_COMMA, "instruction_id_list": ["nope:nope"]}}
    refused = queue_api.post("/v1/jobs", json={"items": [bad]})
    assert refused.status_code == 422 and "unknown instruction id 'nope:nope'" in refused.text


def test_eval_reports_pass_at_k_over_prompt_level_verdicts(tmp_path: Path) -> None:
    rows = [
        {"id": "a0", "group": "a", "completion": FOLLOWS, "task": TWO},
        {"id": "a1", "group": "a", "completion": HALF, "task": TWO},
        {"id": "b0", "group": "b", "completion": NEITHER, "task": TWO},
        {"id": "b1", "group": "b", "completion": HALF, "task": TWO},
    ]
    data = write_jsonl(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "scored.jsonl"
    done = run_eval(data, "--output", out, "--rewards", "accuracy=1")
    assert done.returncode == 0, done.stderr
    scored = {row["id"]: row for row in read_jsonl(out)}
    assert [scored[k]["scores"]["accuracy"] for k in ("a0", "a1", "b0", "b1")] == [1.0, 0.5, 0.0, 0.5]
    summary = json.loads((tmp_path / "scored.summary.json").read_text())
    # A sample passes when it follows every instruction (the benchmarks' prompt-level accuracy).
    assert summary["pass_at_k"]["1"] == pytest.approx((1 / 2 + 0) / 2)
    assert summary["pass_at_k"]["2"] == pytest.approx(0.5)


def test_get_reward_takes_an_instruction_task_as_the_label(client: TestClient) -> None:
    prompt = "Answer without commas and end with 'That is all.' "
    body = {
        "query": [prompt + FOLLOWS, prompt + HALF],
        "prompts": [prompt, prompt],
        "labels": [TWO, json.dumps(TWO)],
    }
    response = client.post("/get_reward", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["rewards"] == [1.0, 0.5]


async def test_trl_passes_the_task_column_through(reward_server_url: str) -> None:
    reward = make_trl_reward(reward_server_url, rewards={"accuracy": 1.0})
    rewards = await reward(
        prompts=["p", "p", "p"],
        completions=[FOLLOWS, HALF, NEITHER],
        completion_ids=[[1], [2], [3]],
        task=[TWO, json.dumps(TWO), TWO],
        trainer_state=object(),
    )
    assert rewards == [1.0, 0.5, 0.0]
    await reward.client.aclose()  # type: ignore[attr-defined]


def test_verl_takes_the_task_as_ground_truth(reward_server_url: str) -> None:
    scores = compute_score_batch(
        ["ifeval", "ifeval"], [HALF, FOLLOWS], [TWO, json.dumps(TWO)], base_url=reward_server_url,
        rewards={"accuracy": 1.0},
    )  # fmt: skip
    assert scores == [0.5, 1.0]
