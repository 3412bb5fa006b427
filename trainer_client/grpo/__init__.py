"""A GRPO trainer on torch + transformers that gets its rewards from reward-server.

    python -m trainer_client.grpo --model DIR --prompts prompts.jsonl --reward-url http://rs:8000 \\
        --steps 200 --group-size 8 --seed 0 --log grpo.jsonl

Needs the `train` extra (torch, transformers).
"""

from __future__ import annotations

from trainer_client.grpo.config import GRPOConfig, Overlap, parse_args
from trainer_client.grpo.loss import group_advantages, grpo_loss
from trainer_client.grpo.trainer import GRPOTrainer, train

__all__ = ["GRPOConfig", "GRPOTrainer", "Overlap", "group_advantages", "grpo_loss", "parse_args", "train"]
