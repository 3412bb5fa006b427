"""Client side of reward-server: the HTTP client, adapters for TRL and verl, and a GRPO trainer.

Importing this package needs only httpx. The GRPO trainer (`python -m trainer_client.grpo`) needs
torch and transformers (the `train` extra) and is imported only when used.
"""

from __future__ import annotations

from trainer_client._retry import RetryPolicy
from trainer_client.client import RewardClient
from trainer_client.errors import RewardClientError, RewardServiceUnavailable
from trainer_client.outcomes import OnFailure
from trainer_client.trl import make_trl_reward
from trainer_client.types import ScoreResult
from trainer_client.verl import compute_score, compute_score_async, compute_score_batch

__all__ = [
    "OnFailure",
    "RetryPolicy",
    "RewardClient",
    "RewardClientError",
    "RewardServiceUnavailable",
    "ScoreResult",
    "compute_score",
    "compute_score_async",
    "compute_score_batch",
    "make_trl_reward",
]
