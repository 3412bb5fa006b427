"""The accuracy component: routes each item to the checker for its task type."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Protocol

from reward_server.rewards.base import ComponentScore, Failure, ItemError
from reward_server.schemas import ScoreItem

Outcome = ComponentScore | ItemError


class TaskChecker(Protocol):
    """Checks completions against one kind of task (math answers, code tests)."""

    async def score(self, items: Sequence[ScoreItem]) -> list[Outcome]: ...


class AccuracyComponent:
    name = "accuracy"

    def __init__(self, checkers: Mapping[str, TaskChecker]) -> None:
        self.checkers = dict(checkers)

    async def score(self, items: Sequence[ScoreItem]) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(items)
        groups: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            task_type = item.task.type if item.task is not None else "none"
            if task_type == "none":
                results[index] = ItemError(
                    "accuracy needs a task: give the item a task such as "
                    '{"type": "math", "answer": "..."}, or drop the accuracy weight',
                    failure=Failure.INVALID_ITEM,
                )
            elif task_type not in self.checkers:
                results[index] = ItemError(
                    f"task type {task_type!r} is not enabled on this server", failure=Failure.INVALID_ITEM
                )
            else:
                groups.setdefault(task_type, []).append(index)

        async def run(task_type: str, indices: list[int]) -> None:
            outcomes = await self.checkers[task_type].score([items[i] for i in indices])
            for i, outcome in zip(indices, outcomes, strict=True):
                results[i] = outcome

        await asyncio.gather(*(run(t, idx) for t, idx in groups.items()))
        return [
            r if r is not None else ItemError("internal error: no verdict", failure=Failure.INTERNAL_ERROR)
            for r in results
        ]
