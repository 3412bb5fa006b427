"""Everything a process needs to score, built once and closed once."""

from __future__ import annotations

import logging
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

    @classmethod
    def create(cls, settings: Settings) -> Services:
        # Workers load the language models before their first task: loading takes seconds, more
        # than one item's time budget, and must not be charged to whichever item comes first.
        from reward_server.rewards.language import warm_up as warm_up_language

        return cls(
            settings=settings, cpu_pool=CpuPool(settings.cpu_workers, initializers=(warm_up_language,))
        )

    async def start(self) -> None:
        self.cpu_pool.start()
        self.components = build_components(self)
        self.scorer = Scorer(self.components, self.settings.default_rewards)
        self.backend = self.scorer
        self.health.update({"cpu_workers": self.settings.cpu_workers, "components": sorted(self.components)})

    async def close(self) -> None:
        self.cpu_pool.close()
