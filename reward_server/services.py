"""Everything a process needs to score, built once and closed once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reward_server.config import Settings
from reward_server.cpu_pool import CpuPool
from reward_server.pipeline import Scorer, ScoringBackend
from reward_server.rewards.components import Component, build_components

if TYPE_CHECKING:
    from reward_server.queue.client import JobQueue

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
    queue: JobQueue | None = None  # set in an API process started with --redis-url

    @classmethod
    def create(cls, settings: Settings) -> Services:
        return cls(settings=settings, cpu_pool=CpuPool(settings.cpu_workers))

    async def start(self) -> None:
        self.cpu_pool.start()
        self.components = build_components(self)
        self.scorer = Scorer(self.components, self.settings.default_rewards)
        self.backend = self.scorer
        self.health.update({"cpu_workers": self.settings.cpu_workers, "components": sorted(self.components)})

    async def use_queue(self) -> None:
        """Score through Redis workers instead of this process (`serve --redis-url`)."""
        from reward_server.queue.backend import QueueBackend
        from reward_server.queue.client import JobQueue

        self.queue = JobQueue(self.settings)
        self.backend = QueueBackend(self.queue)

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()
        self.cpu_pool.close()
