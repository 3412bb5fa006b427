"""The lint reward through every way in: /v1/score (accuracy unchanged by it), the Redis queue and
its `reward-server worker` processes, `reward-server eval`, and the TRL and verl adapters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings
from tests.support.redis_fixtures import RedisServer, unique_prefix, wait_for_workers, worker_processes
from tests.support.sandbox_helpers import require_bwrap
from trainer_client import compute_score_batch, make_trl_reward

SUM_TESTS = [{"stdin": "1 2\n", "expected_stdout": "3\n"}, {"stdin": "5 5\n", "expected_stdout": "10\n"}]
PY_TASK = {"type": "code", "language": "python", "tests": SUM_TESTS}
C_TASK = {"type": "code", "language": "c", "tests": SUM_TESTS}
PY_CLEAN = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
PY_MESSY = "```python\nimport os\nimport sys\na, b = map(int, input().split())\nprint(a + b)\n```"  # 2 x F401
PY_WRONG = "```python\nprint(0)\n```"
C_WARNED = (
    '```c\n#include <stdio.h>\nint main(void) {\n    int a, b, unused;\n    if (scanf("%d %d", &a, &b) != 2) '
    'return 1;\n    printf("%d\\n", a + b);\n    return 0;\n}\n```'
)
ITEMS: list[dict[str, Any]] = [
    {"id": "py-clean", "completion": PY_CLEAN, "task": PY_TASK},
    {"id": "py-messy", "completion": PY_MESSY, "task": PY_TASK},
    {"id": "py-wrong", "completion": PY_WRONG, "task": PY_TASK},
    {"id": "c-warned", "completion": C_WARNED, "task": C_TASK},
    {"id": "js", "completion": "```js\nconsole.log(3)\n```", "task": {**PY_TASK, "language": "javascript"}},
    {"id": "no-code", "completion": "", "task": PY_TASK},
]
EXPECTED_LINT = {"py-clean": 1.0, "py-messy": 0.8, "py-wrong": 1.0, "c-warned": 0.9, "no-code": 0.0}
EXPECTED_ACCURACY = {"py-clean": 1.0, "py-messy": 1.0, "py-wrong": 0.0, "c-warned": 1.0, "no-code": 0.0}


def local_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"cpu_workers": 1, "sandbox": "local", "default_rewards": {"accuracy": 1.0}}
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="module")
def local_client() -> Iterator[TestClient]:
    require_bwrap()
    with TestClient(create_app(local_settings())) as client:
        yield client


def score(client: TestClient, rewards: dict[str, float] | None) -> dict[str, dict[str, Any]]:
    body: dict[str, Any] = {"items": ITEMS} | ({"rewards": rewards} if rewards is not None else {})
    response = client.post("/v1/score", json=body)
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["results"]}


def test_lint_through_v1_score_leaves_accuracy_as_it_was(local_client: TestClient) -> None:
    without = score(local_client, {"accuracy": 1.0})
    with_lint = score(local_client, {"accuracy": 1.0, "lint": 0.5})
    for item_id, result in with_lint.items():
        assert result["scores"]["accuracy"] == without[item_id]["scores"]["accuracy"], item_id
        assert result["details"]["accuracy"] == without[item_id]["details"]["accuracy"], item_id
    assert {i: without[i]["scores"]["accuracy"] for i in EXPECTED_ACCURACY} == EXPECTED_ACCURACY
    assert {i: r["scores"].get("lint") for i, r in with_lint.items() if i != "js"} == pytest.approx(
        EXPECTED_LINT
    )
    assert with_lint["py-messy"]["reward"] == pytest.approx(1.0 + 0.5 * 0.8)
    assert with_lint["c-warned"]["details"]["lint"]["counts"] == {"-Wunused-variable": 1}
    assert with_lint["js"]["reward"] is None and "lint: no linter for javascript" in with_lint["js"]["error"]
    assert with_lint["js"]["scores"]["accuracy"] == without["js"]["scores"]["accuracy"]


def test_lint_is_not_computed_unless_asked(local_client: TestClient) -> None:
    defaults = score(local_client, None)
    assert all("lint" not in r["scores"] and "lint" not in r["details"] for r in defaults.values())
    assert defaults["py-messy"]["reward"] == 1.0


def test_lint_unknown_weight_names_still_fail_naming_the_field(local_client: TestClient) -> None:
    response = local_client.post("/v1/score", json={"items": ITEMS[:1], "rewards": {"lints": 1.0}})
    assert response.status_code == 422 and "lint," in response.text


@pytest.mark.redis
def test_lint_through_the_queue_workers_answers_what_in_process_scoring_answers(
    redis_server: RedisServer, local_client: TestClient
) -> None:
    prefix = unique_prefix()
    body = {"items": ITEMS, "rewards": {"accuracy": 1.0, "lint": 1.0}}
    with worker_processes() as spawn:
        spawn(redis_server.url, prefix, REWARD_SERVER_SANDBOX="local")
        wait_for_workers(redis_server.client(), prefix, 1)
        queue = Settings(
            cpu_workers=1,
            sandbox="none",
            redis_url=redis_server.url,
            queue_prefix=prefix,
            job_wait_timeout_s=60,
        )
        with TestClient(create_app(queue)) as api:
            queued = api.post("/v1/score", json=body)
    assert queued.status_code == 200, queued.text
    local = local_client.post("/v1/score", json=body).json()
    assert queued.json()["results"] == local["results"]
    lint = {r["id"]: r["scores"].get("lint") for r in queued.json()["results"] if r["id"] != "js"}
    assert lint == pytest.approx(EXPECTED_LINT)


def test_eval_summarises_the_lint_mean(tmp_path: Path) -> None:
    require_bwrap()
    rows = [{"group": "sum", "completion": i["completion"], "task": i["task"]} for i in ITEMS[:4]]
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = subprocess.run(
        [sys.executable, "-m", "reward_server", "eval", str(source), "--output", str(out),
         "--rewards", "accuracy=1,lint=1", "--no-progress"],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "REWARD_SERVER_CPU_WORKERS": "1", "REWARD_SERVER_SANDBOX": "local"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["errors"] == 0
    assert summary["components"]["lint"] == {"mean": pytest.approx((1.0 + 0.8 + 1.0 + 0.9) / 4), "count": 4}
    assert summary["components"]["accuracy"]["mean"] == pytest.approx(3 / 4)
    assert "lint" in proc.stdout


async def test_trl_adapter_asks_for_lint_through_the_trainer_client(reward_server_url: str) -> None:
    reward = make_trl_reward(reward_server_url, rewards={"lint": 1.0})
    metrics: list[tuple[str, float]] = []
    try:
        values = await reward(
            prompts=["Add two numbers.", "Add two numbers."],
            completions=[PY_CLEAN, PY_MESSY],
            task=[PY_TASK, PY_TASK],
            log_metric=lambda name, value: metrics.append((name, value)),
        )
    finally:
        await reward.client.aclose()  # type: ignore[attr-defined]
    assert values == pytest.approx([1.0, 0.8])
    assert ("reward_server/lint", pytest.approx(0.9)) in metrics


def test_verl_adapter_asks_for_lint_through_the_trainer_client(reward_server_url: str) -> None:
    scores = compute_score_batch(
        ["code", "code"], [PY_CLEAN, PY_MESSY], [json.dumps(PY_TASK), PY_TASK],
        base_url=reward_server_url, rewards={"lint": 1.0},
    )  # fmt: skip
    assert scores == pytest.approx([1.0, 0.8])
