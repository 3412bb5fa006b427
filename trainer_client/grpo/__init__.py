"""A GRPO trainer on torch + transformers that gets its rewards from reward-server.

    python -m trainer_client.grpo --model DIR --prompts prompts.jsonl --reward-url http://rs:8000 \\
        --steps 200 --group-size 8 --seed 0 --log grpo.jsonl

Needs the `train` extra (torch, transformers). The torch-dependent names are imported on first
use, so the command line can say which extra is missing instead of failing on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainer_client.grpo.config import GRPOConfig, Overlap, parse_args

if TYPE_CHECKING:
    from trainer_client.grpo.loss import group_advantages, grpo_loss
    from trainer_client.grpo.trainer import GRPOTrainer, train

__all__ = ["GRPOConfig", "GRPOTrainer", "Overlap", "group_advantages", "grpo_loss", "parse_args", "train"]

_LAZY = {
    "group_advantages": "trainer_client.grpo.loss",
    "grpo_loss": "trainer_client.grpo.loss",
    "GRPOTrainer": "trainer_client.grpo.trainer",
    "train": "trainer_client.grpo.trainer",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trainer_client.grpo' has no attribute {name!r}")
