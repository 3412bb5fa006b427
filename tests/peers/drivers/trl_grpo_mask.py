"""TRL's GRPOTrainer with reward-server's reward when some samples get no verdict (trl venv).

    python trl_grpo_mask.py URL

One prompt's gold answer is unusable (blank), so the service gives its samples no verdict
(`failure: unusable_gold`); `make_trl_reward` (``on_failure="mask"``, its default) returns None
for them. Prints one JSON line: the values the reward function returned, the failure classes it
logged, and TRL's logs (what GRPOTrainer made of the masked samples).
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


def main() -> None:
    url = sys.argv[1]
    word, answer = next(iter(GOLD.items()))
    rows = [
        {"prompt": f"question {word} answer:", "task": {"type": "math", "answer": answer}},
        {"prompt": f"question {word} answer:", "task": {"type": "math", "answer": "   "}},
    ]
    reward = make_trl_reward(url, rewards={"accuracy": 1.0, "format": 0.1}, timeout_s=120)
    calls: list[dict[str, Any]] = []

    async def reward_server(
        prompts: Any = None, completions: Any = None, **columns: Any
    ) -> list[float | None]:
        failures: list[str] = []
        log_extra = columns.pop("log_extra", None)

        def capture(key: str, values: list[Any]) -> None:
            if key.endswith("/failure"):
                failures.extend(values)
            if callable(log_extra):
                log_extra(key, values)

        values = await reward(prompts=prompts, completions=completions, log_extra=capture, **columns)
        answers = [task["answer"] for task in columns["task"]]
        calls.append({"values": values, "answers": answers, "failures": failures})
        return values

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(Path(tmp) / "model")
        args = GRPOConfig(
            output_dir=str(Path(tmp) / "out"),
            per_device_train_batch_size=8,
            num_generations=4,
            max_completion_length=4,
            max_steps=2,
            learning_rate=1e-3,
            logging_steps=1,
            report_to="none",
            save_strategy="no",
            use_cpu=True,
            seed=0,
        )
        trainer = GRPOTrainer(
            model=str(model_dir),
            reward_funcs=[reward_server],
            args=args,
            train_dataset=Dataset.from_list(rows),
        )
        trainer.train()
        logs = trainer.state.log_history
    print(json.dumps({"trl": trl.__version__, "calls": calls, "logs": logs}, default=str))


if __name__ == "__main__":
    main()
