"""TRL 1.16.0 (its released package): GRPOTrainer trains a tiny model on reward-server's rewards."""

from __future__ import annotations

import math

import pytest

from tests.peers.harness import run_driver

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(900)]


def test_grpo_trainer_gets_a_number_for_every_sample_of_a_mixed_task_column(reward_server_url: str) -> None:
    result = run_driver("trl", "trl_grpo.py", reward_server_url)
    assert result["trl"] == "1.16.0"
    calls = result["calls"]
    assert len(calls) >= 3, "one reward call per step"
    # datasets filled the other task shape's keys with None; the server still scored every sample
    first_task = calls[0]["task"]
    assert set(first_task) >= {"type", "answer", "language", "tests"}
    assert any(value is None for value in first_task.values()), first_task
    values = [v for call in calls for v in call["values"]]
    assert values and all(isinstance(v, float) and math.isfinite(v) for v in values), values
    step_logs = [log for log in result["logs"] if "reward" in log]
    assert step_logs and all(math.isfinite(log["reward"]) for log in step_logs)
    assert all(log.get("reward_server/error_rate", 0.0) == 0.0 for log in step_logs), step_logs
