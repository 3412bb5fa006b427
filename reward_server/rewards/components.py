"""The reward component protocol and the registry of components a process can compute."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from reward_server.config import Settings
from reward_server.cpu_pool import CpuPool
from reward_server.rewards.base import Component, ComponentOutcome
from reward_server.rewards.format import check_format
from reward_server.rewards.text import completion_text
from reward_server.schemas import ScoreItem
from sandboxes import Limits, Sandbox

if TYPE_CHECKING:
    from reward_server.reward_model.engine import RewardModel

__all__ = ["Component", "ComponentOutcome", "FormatComponent", "ScoringResources", "build_components"]


class ScoringResources(Protocol):
    """What building the components needs from a process (`Services` provides it): no import of
    `services` here, so services -> components -> pipeline has no cycle."""

    @property
    def settings(self) -> Settings: ...
    @property
    def cpu_pool(self) -> CpuPool: ...
    @property
    def sandbox(self) -> Sandbox | None: ...
    @property
    def sandbox_limits(self) -> Limits: ...
    @property
    def reward_models(self) -> Mapping[str, RewardModel]: ...


class FormatComponent:
    name = "format"

    def __init__(self, think_tag: str, answer_tag: str) -> None:
        self.think_tag, self.answer_tag = think_tag, answer_tag

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentOutcome]:
        # Microseconds per item: cheaper inline than a round trip to the pool.
        return [
            check_format(
                completion_text(item.completion), think_tag=self.think_tag, answer_tag=self.answer_tag
            )
            for item in items
        ]


def build_components(services: ScoringResources) -> dict[str, Component]:
    """Every component this process can compute, by reward name."""
    from reward_server.rewards.accuracy import AccuracyComponent, TaskChecker
    from reward_server.rewards.language import LanguageComponent
    from reward_server.rewards.math import MathChecker
    from reward_server.rewards.model import reward_model_components

    settings = services.settings
    checkers: dict[str, TaskChecker] = {
        "math": MathChecker(
            services.cpu_pool, settings.math_timeout_s, settings.answer_tag, settings.think_tag
        )
    }
    if services.sandbox is not None:
        from reward_server.rewards.code import CodeChecker

        checkers["code"] = CodeChecker(
            services.sandbox, default_limits=services.sandbox_limits, answer_tag=settings.answer_tag
        )
    components: dict[str, Component] = {
        "format": FormatComponent(settings.think_tag, settings.answer_tag),
        "accuracy": AccuracyComponent(checkers),
        "language": LanguageComponent(services.cpu_pool, settings.language_timeout_s, settings.think_tag),
    }
    components.update(reward_model_components(services.reward_models))
    return components
