"""Everything a process needs to score, built once and closed once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reward_server.config import Settings
from reward_server.cpu_pool import CpuPool
from reward_server.pipeline import Scorer, ScoringBackend
from reward_server.rewards.components import Component, build_components
from reward_server.sandbox_gate import SandboxGate
from reward_server.sandboxing import create_sandbox, sandbox_limits
from sandboxes import Limits, Sandbox

if TYPE_CHECKING:
    from reward_server.queue.client import JobQueue
    from reward_server.reward_model.engine import RewardModel

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
    sandbox: Sandbox | None = None
    sandbox_gate: SandboxGate | None = None  # the line in front of `sandbox` every caller goes through
    sandbox_limits: Limits = field(default_factory=Limits)
    reward_models: dict[str, RewardModel] = field(default_factory=dict)
    queue: JobQueue | None = None  # set in an API process started with --redis-url
    health_state: dict[str, Any] = field(default_factory=dict)  # last /healthz verdict, to log changes

    @classmethod
    def create(cls, settings: Settings) -> Services:
        from reward_server.rewards.language import warm_up as warm_up_language
        from reward_server.rewards.math import warm_up as warm_up_math

        # Workers (and replacements for killed ones) load the LaTeX parser, sympy and the language
        # models before their first task: loading takes seconds, more than one item's budget, and
        # must not be charged to whichever item comes first.
        initializers = (warm_up_math, warm_up_language)
        return cls(settings=settings, cpu_pool=CpuPool(settings.cpu_workers, initializers=initializers))

    async def start(self) -> None:
        self.cpu_pool.start()
        try:
            self.sandbox_limits = sandbox_limits(self.settings)
            self.sandbox = await create_sandbox(self.settings)
            if self.sandbox is not None:
                self.sandbox_gate = SandboxGate(self.sandbox)
                self.health["sandbox"] = self.sandbox.health()
            await self._load_reward_models()
        except BaseException:
            await self.close()  # no half-started process: the pool, sandbox and loaded models go
            raise
        self.components = build_components(self)
        self.scorer = Scorer(self.components, self.settings.default_rewards)
        self.backend = self.scorer
        self.health.update({"cpu_workers": self.settings.cpu_workers, "components": sorted(self.components)})

    async def _load_reward_models(self) -> None:
        if not self.settings.reward_models:
            return
        from reward_server.logs import route_library_logs
        from reward_server.reward_model.engine import load_reward_model  # torch: only when configured

        route_library_logs()  # transformers' lines through our handler, no progress bars

        for spec in self.settings.reward_models:
            model = await asyncio.to_thread(load_reward_model, spec)
            self.reward_models[spec.name] = model
        self.health["reward_models"] = {
            name: {"path": m.spec.path, "device": str(m.device), "dtype": str(m.dtype).removeprefix("torch.")}
            for name, m in self.reward_models.items()
        }

    async def use_queue(self) -> None:
        """Score through Redis workers instead of this process (`serve --redis-url`)."""
        from reward_server.queue.backend import QueueBackend
        from reward_server.queue.client import JobQueue

        self.queue = JobQueue(self.settings)
        self.backend = QueueBackend(self.queue)

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()
        for model in self.reward_models.values():
            await model.aclose()
        self.cpu_pool.close()
        if self.sandbox is not None:
            await self.sandbox.close()
