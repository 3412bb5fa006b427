"""What verl 0.9.1's GRPO advantage does with a NaN score in a group (run in the verl venv).

    python verl_grpo_nan.py

Calls `compute_grpo_outcome_advantage` (verl/trainer/ppo/core_algos.py) on one prompt's group of
four outcome rewards, one of them NaN, and on the same group without it. Prints one JSON line:
which rows came out NaN, and the advantages of the clean group.
"""

from __future__ import annotations

import importlib.metadata
import json

import numpy as np
import torch
from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage


def advantages(scores: list[float]) -> torch.Tensor:
    rewards = torch.zeros(len(scores), 3)
    rewards[:, -1] = torch.tensor(scores)  # outcome reward on the last response token
    index = np.array(["prompt-0"] * len(scores), dtype=object)
    advantage, _ = compute_grpo_outcome_advantage(rewards, torch.ones(len(scores), 3), index)
    return advantage


def main() -> None:
    poisoned = advantages([1.0, 0.0, float("nan"), 1.0])
    clean = advantages([1.0, 0.0, 0.0, 1.0])
    print(
        json.dumps(
            {
                "verl": importlib.metadata.version("verl"),
                "nan_rows": torch.isnan(poisoned).any(dim=1).tolist(),
                "clean": clean[:, -1].tolist(),
            }
        )
    )


if __name__ == "__main__":
    main()
