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


def test_grpo_trainer_masks_samples_without_a_verdict(reward_server_url: str) -> None:
    # TRL 1.16.0 turns None into NaN, leaves an all-NaN row out of the group mean and std and
    # gives it advantage 0 (grpo_trainer.py, `unscorable_mask`): training goes on, finite.
    result = run_driver("trl", "trl_grpo_mask.py", reward_server_url)
    assert result["trl"] == "1.16.0"
    pairs = [
        (answer, value, failure)
        for call in result["calls"]
        for answer, value, failure in zip(call["answers"], call["values"], call["failures"], strict=True)
    ]
    masked = [(v, f) for a, v, f in pairs if not a.strip()]
    scored = [(v, f) for a, v, f in pairs if a.strip()]
    assert masked and all(v is None and f == "unusable_gold" for v, f in masked), masked
    assert scored and all(isinstance(v, float) and f == "" for v, f in scored), scored
    step_logs = [log for log in result["logs"] if "reward" in log]
    assert step_logs and all(math.isfinite(log["reward"]) and math.isfinite(log["loss"]) for log in step_logs)
