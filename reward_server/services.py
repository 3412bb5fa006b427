"""Everything a process needs to score, built once and closed once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from reward_server.config import Settings
from reward_server.cpu_pool import CpuPool
from reward_server.pipeline import Scorer, ScoringBackend
from reward_server.rewards.components import Component, build_components

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Shared resources of one API process, worker or eval run."""

    settings: Settings
    cpu_pool: CpuPool
    components: dict[str, Component] = field(default_factory=dict)
    scorer: Scorer | None = None
    backend: ScoringBackend | None = None
    health: dict[str, Any] = field(default_factory=dict)
    # Awaited before each /metrics scrape, so gauges read from elsewhere (queue depth) are fresh.
    scrape_hooks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    def create(cls, settings: Settings) -> Services:
        return cls(settings=settings, cpu_pool=CpuPool(settings.cpu_workers))

    async def start(self) -> None:
        self.cpu_pool.start()
        self.components = build_components(self)
        self.scorer = Scorer(self.components, self.settings.default_rewards)
        self.backend = self.scorer
        self.health.update({"cpu_workers": self.settings.cpu_workers, "components": sorted(self.components)})

    async def close(self) -> None:
        self.cpu_pool.close()
