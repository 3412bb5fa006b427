"""Multiple-choice tasks through every way in: /v1/score, /v1/jobs (Redis workers), the eval CLI,
OpenRLHF's /get_reward labels, and the TRL and verl adapters against a running service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.protocols.samples import label_tasks
from tests.support.queue_helpers import wait_for_job
from tests.support.redis_fixtures import RedisServer, unique_prefix, wait_for_workers, worker_processes
from trainer_client import compute_score_batch, make_trl_reward

TASK: dict[str, Any] = {
    "type": "choice",
    "choices": ["A", "B", "C", "D"],
    "options": ["Rome", "Madrid", "Paris", "Berlin"],
    "answer": "C",
}
RIGHT = "<think>France's capital is Paris, option C.</think>\n\n**Answer:** \\boxed{C}"
WRONG = "<think>Maybe Rome?</think>\n\nThe answer is (A)."
HEDGE = "<think>Not sure.</think>\n\nThe answer is either A or C."
TEXT = "<think>France.</think>\n\nThe answer is Paris."
UNFINISHED = "<think>The answer is C, but let me check every option once more"
EXPECTED = {"right": 1.0, "wrong": 0.0, "hedge": 0.0, "text": 1.0, "unfinished": 0.0}


def choice_items() -> list[dict[str, Any]]:
    completions = {"right": RIGHT, "wrong": WRONG, "hedge": HEDGE, "text": TEXT, "unfinished": UNFINISHED}
    return [{"id": name, "completion": text, "task": TASK} for name, text in completions.items()]


def check_results(results: list[dict[str, Any]]) -> None:
    assert [r["id"] for r in results] == list(EXPECTED)
    assert {r["id"]: r["scores"]["accuracy"] for r in results} == EXPECTED
    assert all(r["error"] is None for r in results)
    by_id = {r["id"]: r["details"]["accuracy"] for r in results}
    assert by_id["right"]["extracted"] == "C" and by_id["wrong"]["extracted"] == "A"
    assert by_id["hedge"]["status"] == "hedged" and by_id["unfinished"]["status"] == "unfinished"


def test_score_api_scores_choice_items_next_to_math(client: TestClient) -> None:
    math = {
        "id": "math",
        "completion": "<think>2+2</think>\\boxed{4}",
        "task": {"type": "math", "answer": "4"},
    }
    body = {"items": [*choice_items(), math], "rewards": {"accuracy": 1.0, "format:think": 0.5}}
    response = client.post("/v1/score", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    check_results(results[:-1])
    assert results[-1]["scores"]["accuracy"] == 1.0
    assert results[0]["reward"] == 1.0 + 0.5 * results[0]["scores"]["format:think"]


# --- /v1/jobs and /v1/score through Redis and real worker processes


@pytest.fixture(scope="module")
def queue_api(redis_server: RedisServer) -> Iterator[TestClient]:
    prefix = unique_prefix()
    with worker_processes() as spawn:
        spawn(redis_server.url, prefix)
        wait_for_workers(redis_server.client(), prefix, 1)
        settings = Settings(
            cpu_workers=1,
            sandbox="none",
            redis_url=redis_server.url,
            queue_prefix=prefix,
            redis_timeout_s=1.0,
            job_wait_timeout_s=30.0,
        )
        with TestClient(create_app(settings)) as api:
            yield api


@pytest.mark.redis
def test_jobs_score_choice_items_in_a_worker(queue_api: TestClient) -> None:
    response = queue_api.post("/v1/jobs", json={"items": choice_items(), "rewards": {"accuracy": 1.0}})
    assert response.status_code == 202, response.text
    job = wait_for_job(queue_api, response.json()["job_id"])
    assert job["status"] == "done", job
    check_results(job["results"])
    bad = {"items": [{"completion": RIGHT, "task": {**TASK, "answer": "E"}}]}
    refused = queue_api.post("/v1/jobs", json=bad)
    assert refused.status_code == 422 and "answer" in refused.text


# --- the eval CLI: pass@k and maj@n


def test_eval_cli_reports_pass_at_k_and_majority_by_letter(tmp_path: Path) -> None:
    q1 = [RIGHT, WRONG, WRONG, "</think>Answer: A"]  # majority A (wrong); one right of four
    q2 = [RIGHT, TEXT, HEDGE, WRONG]  # majority C: the boxed C and the text "Paris" vote together
    rows = [{"group": "q1", "completion": c, "task": TASK} for c in q1]
    rows += [{"group": "q2", "completion": c, "task": TASK} for c in q2]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "reward_server", "eval", str(source), "--output", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "REWARD_SERVER_CPU_WORKERS": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["errors"] == 0 and summary["groups"] == 2
    assert summary["pass_at_k"]["1"] == pytest.approx((1 / 4 + 2 / 4) / 2)
    assert summary["pass_at_k"]["4"] == 1.0
    assert [g["maj"] for g in summary["per_group"]] == [False, True]
    assert summary["maj_at_n"] == pytest.approx(0.5)


# --- OpenRLHF /get_reward labels


def test_get_reward_takes_a_choice_task_as_label(client: TestClient) -> None:
    prompt = (
        "<|im_start|>user\nWhich city is the capital of France? A) Rome B) Madrid C) Paris D) Berlin"
        "<|im_end|>\n<|im_start|>assistant\n"
    )
    body = {
        "query": [prompt + RIGHT, prompt + HEDGE, prompt + WRONG],
        "prompts": [prompt] * 3,
        "labels": [TASK, json.dumps(TASK), TASK],
        "rewards": {"accuracy": 1.0},
    }
    response = client.post("/get_reward", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["rewards"] == [1.0, 0.0, 0.0]
    bad = client.post("/get_reward", json={**body, "labels": [{**TASK, "answer": "Z"}] * 3})
    assert bad.status_code == 200 and bad.json()["extra_logs"]["reward_error"] == [1.0] * 3


def test_a_bare_letter_label_stays_a_math_answer() -> None:
    # A string label has always been a math gold answer; a letter does not silently become a
    # choice task (that needs the letter set): send a task dict for multiple choice.
    assert label_tasks("C") == [{"type": "math", "answer": "C"}]


async def test_get_reward_choice_label_against_a_live_server(reward_server_url: str) -> None:
    async with httpx.AsyncClient(base_url=reward_server_url, timeout=60) as http:
        response = await http.post(
            "/get_reward", json={"query": [RIGHT], "labels": [TASK], "rewards": {"accuracy": 1.0}}
        )
    assert response.status_code == 200, response.text
    assert response.json()["rewards"] == [1.0]


# --- trainer adapters against a running service


async def test_trl_reward_sends_a_choice_task_column(reward_server_url: str) -> None:
    reward = make_trl_reward(reward_server_url, rewards={"accuracy": 1.0})
    rewards = await reward(
        prompts=["Capital of France?"] * 3,
        completions=[RIGHT, WRONG, TEXT],
        completion_ids=[[1], [2], [3]],
        task=[TASK, TASK, json.dumps(TASK)],
    )
    assert rewards == [1.0, 0.0, 1.0]
    await reward.client.aclose()  # type: ignore[attr-defined]


def test_verl_takes_a_choice_task_as_ground_truth_or_extra_info(reward_server_url: str) -> None:
    scores = compute_score_batch(
        ["mmlu", "mmlu", "mmlu"],
        [RIGHT, HEDGE, TEXT],
        [json.dumps(TASK), TASK, "C"],
        [None, None, {"task": TASK}],
        base_url=reward_server_url,
        rewards={"accuracy": 1.0},
    )
    assert scores == [1.0, 0.0, 1.0]
