"""Training prompts: reading the JSONL file and drawing batches in a seeded, resumable order."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer_client._items import as_messages_or_text, task_from_label


@dataclass(frozen=True, slots=True)
class PromptRow:
    prompt: str | list[dict[str, Any]]
    task: dict[str, Any]
    language: str | None = None
    rewards: dict[str, float] | None = None


def load_prompts(path: Path) -> list[PromptRow]:
    """Rows of ``{"prompt", "task" | "answer", "language"?, "rewards"?}``; errors name the line."""
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict) or "prompt" not in raw:
                    raise ValueError("each line must be a JSON object with a 'prompt'")
                task = raw.get("task", raw.get("answer"))
                rewards = raw.get("rewards")
                rows.append(
                    PromptRow(
                        prompt=as_messages_or_text(raw["prompt"]),
                        task=task_from_label(task),
                        language=raw.get("language"),
                        rewards={str(k): float(v) for k, v in rewards.items()} if rewards else None,
                    )
                )
            except (ValueError, TypeError, AttributeError) as error:
                raise ValueError(f"{path}:{number}: {error}") from None
    if not rows:
        raise ValueError(f"{path}: no prompts")
    return rows


class PromptSampler:
    """Epochs of shuffled prompt indices; the state (epoch, position) is saved in checkpoints."""

    def __init__(self, size: int, batch_size: int, seed: int) -> None:
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.epoch, self.position = 0, 0

    def _order(self) -> list[int]:
        order = list(range(self.size))
        random.Random(self.seed * 1_000_003 + self.epoch).shuffle(order)
        return order

    def next_batch(self) -> list[int]:
        batch: list[int] = []
        while len(batch) < self.batch_size:
            order = self._order()
            take = order[self.position : self.position + self.batch_size - len(batch)]
            batch.extend(take)
            self.position += len(take)
            if self.position >= self.size:
                self.epoch, self.position = self.epoch + 1, 0
        return batch

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
