"""TRL's GRPOTrainer training a tiny model for a few steps with reward-server's reward (trl venv).

    python trl_grpo.py URL

The dataset's `task` column mixes math and code tasks, so `datasets` gives every row the other
shape's keys set to None, as it does for real mixed datasets. Prints one JSON line: what the
reward function returned at each call, a row of the task column as TRL passed it, and TRL's logs.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import trl
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from tests.support.tiny_lm import GOLD, build_tiny_model
from trainer_client import make_trl_reward

CODE_TASK = {"type": "code", "language": "python", "tests": [{"stdin": "", "expected_stdout": "3\n"}]}


def main() -> None:
    url = sys.argv[1]
    rows: list[dict[str, Any]] = []
    for word, answer in GOLD.items():
        rows.append({"prompt": f"question {word} answer:", "task": {"type": "math", "answer": answer}})
        rows.append({"prompt": f"question {word} answer:", "task": CODE_TASK})
    dataset = Dataset.from_list(rows)

    reward = make_trl_reward(url, rewards={"accuracy": 1.0, "format": 0.1}, timeout_s=120)
    calls: list[dict[str, Any]] = []

    async def reward_server(
        prompts: Any = None, completions: Any = None, **columns: Any
    ) -> list[float | None]:
        values = await reward(prompts=prompts, completions=completions, **columns)
        calls.append({"values": values, "task": columns["task"][0], "completion": completions[0]})
        return values

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(Path(tmp) / "model")
        args = GRPOConfig(
            output_dir=str(Path(tmp) / "out"),
            per_device_train_batch_size=4,
            num_generations=4,
            max_completion_length=4,
            max_steps=3,
            learning_rate=1e-3,
            logging_steps=1,
            report_to="none",
            save_strategy="no",
            use_cpu=True,
            seed=0,
        )
        trainer = GRPOTrainer(
            model=str(model_dir), reward_funcs=[reward_server], args=args, train_dataset=dataset
        )
        trainer.train()
        logs = trainer.state.log_history
    print(json.dumps({"trl": trl.__version__, "calls": calls, "logs": logs}, default=str))


if __name__ == "__main__":
    main()
