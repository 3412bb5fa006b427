"""The scoring pipeline: weights → components → one ScoreResult per item."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from reward_server.errors import BatchTooLarge, UnknownReward
from reward_server.reward_names import Weights
from reward_server.rewards.base import Component, ComponentOutcome, ComponentScore, Failure, ItemError
from reward_server.rewards.shared_runs import shared_runs
from reward_server.schemas import ScoreItem, ScoreRequest, ScoreResult

log = logging.getLogger(__name__)


class ScoringBackend(Protocol):
    """What the HTTP routes call: in-process `Scorer`, or the Redis queue in front of workers."""

    async def score(self, request: ScoreRequest) -> list[ScoreResult]: ...


def resolve_weights(defaults: Weights, batch: Weights | None, item: Weights | None) -> Weights:
    """Server defaults apply when neither batch nor item names weights; item keys override batch keys."""
    if batch is None and item is None:
        return dict(defaults)
    return {**(batch or {}), **(item or {})}


class Scorer:
    """Scores batches in this process with the components it was given."""

    def __init__(self, components: Mapping[str, Component], default_rewards: Weights) -> None:
        self.components = dict(components)
        self.default_rewards = dict(default_rewards)

    def check_request(self, request: ScoreRequest) -> None:
        """Raise `UnknownReward` for the first reward name this server cannot compute."""
        named: list[tuple[int | None, str]] = [(None, n) for n in request.rewards or {}]
        for position, item in enumerate(request.items):
            named += [(position, n) for n in item.rewards or {}]
        for index, name in named:
            if name not in self.components:
                raise UnknownReward(name, self._unavailable_reason(name), index)

    def _unavailable_reason(self, name: str) -> str:
        if name.startswith("model"):
            models = sorted(n for n in self.components if n.startswith("model"))
            if not models:
                return "no reward model is loaded: start the server with --reward-model PATH"
            return f"reward model {name!r} is not loaded; loaded: {', '.join(models)}"
        if name == "efficiency":
            return (
                "efficiency needs a sandbox that counts a program's CPU time by cgroup: start the server "
                "with --sandbox docker, or --sandbox local as root where cgroups are writable"
            )
        return f"reward {name!r} is not available on this server"

    async def score(self, request: ScoreRequest) -> list[ScoreResult]:
        self.check_request(request)
        items = request.items
        weights = [resolve_weights(self.default_rewards, request.rewards, item.rewards) for item in items]
        needed: dict[str, list[int]] = {}
        for index, item_weights in enumerate(weights):
            for name in item_weights:
                needed.setdefault(name, []).append(index)

        outcomes: dict[str, dict[int, ComponentOutcome]] = {}

        async def run(name: str, indices: list[int]) -> None:
            subset = [items[i] for i in indices]
            try:
                results = await self.components[name].score(subset)
            except Exception as exc:  # a bug in one component must not sink the batch
                log.exception("component %s failed on %d items", name, len(subset))
                error = ItemError(
                    f"internal error: {type(exc).__name__}: {exc}", failure=Failure.INTERNAL_ERROR
                )
                results = [error] * len(subset)
            outcomes[name] = dict(zip(indices, results, strict=True))

        with shared_runs():  # components needing the same run (accuracy, efficiency) share it
            await asyncio.gather(*(run(name, indices) for name, indices in needed.items()))
        return [self._assemble(items[i], i, weights[i], outcomes) for i in range(len(items))]

    @staticmethod
    def _assemble(
        item: ScoreItem, index: int, weights: Weights, outcomes: Mapping[str, Mapping[int, ComponentOutcome]]
    ) -> ScoreResult:
        scores: dict[str, float] = {}
        details: dict[str, object] = {}
        errors: list[str] = []
        for name in weights:
            outcome = outcomes[name][index]
            if isinstance(outcome, ComponentScore) and not math.isfinite(outcome.score):
                outcome = ItemError("produced a non-finite score", failure=Failure.INTERNAL_ERROR)
            if isinstance(outcome, ComponentScore):
                scores[name] = outcome.score
                details[name] = outcome.details
            elif weights[name] == 0:  # cannot move the reward, so cannot make it unknown: kept in details
                details[name] = outcome.as_details() | {"error": outcome.message}
            else:  # a non-verdict: no score, its failure class in the details (outcomes.py)
                details[name] = outcome.as_details()
                errors.append(f"{name}: {outcome.message}")
        reward = None if errors else sum(weights[name] * scores.get(name, 0.0) for name in weights)
        return ScoreResult(
            id=item.id, reward=reward, scores=scores, details=details, error="; ".join(errors) or None
        )


def validate_batch_size(items: Sequence[object], limit: int, part: str | None = "items") -> None:
    """`BatchTooLarge` (`part` names the request part holding them) when a request carries more
    items than this server takes at once."""
    if len(items) > limit:
        raise BatchTooLarge(len(items), limit, part)
