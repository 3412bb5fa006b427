"""The efficiency reward through every entry point: /v1/score, the queue workers (real Redis), eval
(its mean in the summary) and the trainer client's adapters (TRL and verl)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from reward_server.queue.client import JobQueue
from reward_server.queue.jobs import JobStatus
from reward_server.queue.worker import Worker
from reward_server.schemas import ScoreItem, ScoreRequest
from reward_server.services import queue_config, start_services
from tests.reward_server.rewards.efficiency_tasks import (
    CLOSED_FORM,
    TENFOLD,
    WRONG,
    fenced,
    function_task,
    stdio_task,
)
from tests.support.redis_fixtures import RedisServer, unique_prefix
from tests.support.sandbox_helpers import require_bwrap
from trainer_client import compute_score_batch, make_trl_reward

pytestmark = pytest.mark.timeout(600)

BOTH = {"accuracy": 1.0, "efficiency": 1.0}


def items() -> list[dict[str, Any]]:
    """The closed form (efficiency 1), ten times the reference's work (well under 1), a wrong answer (0)."""
    return [
        {"id": "closed", "completion": fenced(CLOSED_FORM), "task": stdio_task()},
        {"id": "tenfold", "completion": fenced(TENFOLD), "task": stdio_task()},
        {"id": "wrong", "completion": fenced(WRONG), "task": stdio_task()},
    ]


def check_scores(results: list[dict[str, Any]]) -> None:
    by_id = {r["id"]: r for r in results}
    assert all(r["error"] is None for r in results), results
    assert [by_id[i]["scores"]["accuracy"] for i in ("closed", "tenfold", "wrong")] == [1.0, 1.0, 0.0]
    assert by_id["closed"]["scores"]["efficiency"] == 1.0 and by_id["closed"]["reward"] == 2.0
    assert 0 < by_id["tenfold"]["scores"]["efficiency"] < 0.5
    assert by_id["wrong"]["scores"]["efficiency"] == 0.0 and by_id["wrong"]["reward"] == 0.0


@pytest.fixture(scope="module")
def local_client() -> Any:
    require_bwrap()
    with TestClient(create_app(Settings(sandbox="local", cpu_workers=1))) as client:
        yield client


def test_score_api(local_client: TestClient) -> None:
    response = local_client.post("/v1/score", json={"items": items(), "rewards": BOTH})
    assert response.status_code == 200, response.text
    check_scores(response.json()["results"])


def test_score_api_refuses_bad_reference_fields_by_name(local_client: TestClient) -> None:
    body = {"items": [{"completion": "x", "task": stdio_task(reference_time_s=-1)}], "rewards": BOTH}
    response = local_client.post("/v1/score", json=body)
    assert response.status_code == 422
    assert any(e["loc"][-1] == "reference_time_s" for e in response.json()["detail"]), response.text
    body = {"items": [{"completion": "x", "task": stdio_task(reference_solution=" \n\t")}], "rewards": BOTH}
    response = local_client.post("/v1/score", json=body)
    assert response.status_code == 422 and "reference_solution is blank" in response.text, response.text
    assert any(e["loc"][-1] == "reference_solution" for e in response.json()["detail"]), response.text
    # A missing reference is the item's error, saying what to give; the rest of the batch is scored.
    body = {"items": [*items()[:1], {"completion": "x", "task": function_task(reference_solution=None)}]}
    results = local_client.post("/v1/score", json=body | {"rewards": BOTH}).json()["results"]
    assert results[0]["error"] is None and results[0]["scores"]["efficiency"] == 1.0
    assert "efficiency: efficiency needs a reference" in results[1]["error"]


def test_a_server_without_a_sandbox_says_how_to_get_efficiency() -> None:
    with TestClient(create_app(Settings(sandbox="none", cpu_workers=1))) as client:
        response = client.post("/v1/score", json={"items": items()[:1], "rewards": BOTH})
    assert response.status_code in (400, 422), response.text
    assert "--sandbox docker" in response.text and "cgroup" in response.text


@pytest.mark.redis
async def test_queue_workers(redis_server: RedisServer) -> None:
    require_bwrap()
    settings = Settings(
        cpu_workers=1,
        sandbox="local",
        redis_url=redis_server.url,
        queue_prefix=unique_prefix(),
        queue_chunk_items=2,
        redis_timeout_s=1.0,
    )
    services = await start_services(settings)
    queue = JobQueue(queue_config(settings))
    stop = asyncio.Event()
    worker = Worker(queue_config(settings), services.score_chunk)
    run = asyncio.create_task(worker.run(stop))
    try:
        request = ScoreRequest(items=[ScoreItem.model_validate(i) for i in items()], rewards=BOTH)
        job_id = await queue.enqueue(request)
        info = await queue.wait(job_id, timeout_s=300)
        assert info.status is JobStatus.done, info
        assert info.results is not None
        check_scores([r.model_dump() for r in info.results])
    finally:
        stop.set()
        await run
        await worker.close()
        await queue.close()
        await services.close()


def test_eval_reports_the_efficiency_mean(tmp_path: Path) -> None:
    require_bwrap()
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(row | {"group": "triangle"}) + "\n" for row in items()))
    proc = subprocess.run(
        [sys.executable, "-m", "reward_server", "eval", str(source), "--output", str(out), "--no-progress"]
        + ["--rewards", "accuracy=1,efficiency=1"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "REWARD_SERVER_CPU_WORKERS": "1", "REWARD_SERVER_SANDBOX": "local"},
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    check_scores(rows)
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    efficiency = [row["scores"]["efficiency"] for row in rows]
    assert summary["components"]["efficiency"]["mean"] == pytest.approx(sum(efficiency) / 3)
    assert "efficiency" in proc.stdout


async def test_trl_adapter_asks_for_efficiency(reward_server_url: str) -> None:
    reward = make_trl_reward(reward_server_url, rewards=BOTH)
    rows = items()
    try:
        rewards = await reward(
            prompts=["Sum 0..n-1"] * 3,
            completions=[r["completion"] for r in rows],
            completion_ids=[[1]] * 3,
            task=[r["task"] for r in rows],
        )
    finally:
        await reward.client.aclose()  # type: ignore[attr-defined]
    closed, tenfold, wrong = rewards
    assert closed == 2.0 and wrong == 0.0
    assert tenfold is not None and 1.0 < tenfold < 1.5


def test_verl_adapter_asks_for_efficiency(reward_server_url: str) -> None:
    rows = items()
    scores = compute_score_batch(
        ["code"] * 3,
        [r["completion"] for r in rows],
        [json.dumps(r["task"]) for r in rows],
        base_url=reward_server_url,
        rewards=BOTH,
    )
    assert scores[0] == 2.0 and scores[2] == 0.0
    assert 1.0 < scores[1] < 1.5
