"""Reward-model scoring: configuration, input building and dynamic batching.

`engine` (torch, transformers) is imported only where a model is loaded, so the service
runs without the `model` extra when no reward model is configured.
"""

from __future__ import annotations

from reward_server.reward_model.batcher import BatcherStats, DynamicBatcher, plan_batches
from reward_server.reward_model.inputs import RewardInput, view_completion
from reward_server.reward_model.spec import RewardModelSpec, RewardModelSpecError, parse_reward_model_spec

__all__ = [
    "BatcherStats",
    "DynamicBatcher",
    "RewardInput",
    "RewardModelSpec",
    "RewardModelSpecError",
    "parse_reward_model_spec",
    "plan_batches",
    "view_completion",
]
