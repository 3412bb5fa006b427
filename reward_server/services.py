"""The composition root: everything a process needs to score, built once from `Settings`, closed once.

This module alone reads `Settings` to build the parts: the cpu pool, the sandbox, the reward models, the
components (from explicit arguments), the scoring backend, and the queue's frozen `QueueConfig`. A
`Services` exists only started and complete: no attribute a route reads is ever None by accident.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reward_server.config import Settings
from reward_server.cpu_pool import CpuPool
from reward_server.pipeline import Scorer, ScoringBackend
from reward_server.queue.config import QueueConfig
from reward_server.rewards.components import Component, build_components
from reward_server.sandbox_gate import SandboxGate
from reward_server.sandboxing import create_sandbox, sandbox_limits
from reward_server.schemas import ScoreRequest, ScoreResult
from sandboxes import Limits, Sandbox

if TYPE_CHECKING:
    from reward_server.queue.client import JobQueue
    from reward_server.reward_model.engine import RewardModel

__all__ = ["Services", "queue_config", "run_worker", "start_services"]

log = logging.getLogger(__name__)


def queue_config(settings: Settings) -> QueueConfig:
    """The queue's settings, frozen; `redis_url` must be set (`--redis-url`)."""
    if settings.redis_url is None:
        raise ValueError("the job queue needs redis_url (--redis-url redis://HOST:PORT/0)")
    return QueueConfig(
        redis_url=settings.redis_url,
        prefix=settings.queue_prefix,
        chunk_items=settings.queue_chunk_items,
        max_items=settings.queue_max_items,
        retry_after_s=settings.queue_retry_after_s,
        reclaim_after_s=settings.queue_reclaim_after_s,
        max_deliveries=settings.queue_max_deliveries,
        result_ttl_s=settings.job_result_ttl_s,
        max_age_s=settings.job_max_age_s,
        wait_timeout_s=settings.job_wait_timeout_s,
        redis_timeout_s=settings.redis_timeout_s,
        worker_concurrency=settings.worker_concurrency,
        default_rewards=settings.default_rewards,
    )


@dataclass
class Services:
    """Shared resources of one API process, worker or eval run, as `start_services` returns them."""

    settings: Settings
    cpu_pool: CpuPool
    sandbox: Sandbox | None  # None: this process has no sandbox (code rewards off)
    sandbox_gate: SandboxGate | None  # the line in front of `sandbox` every caller goes through
    sandbox_limits: Limits
    reward_models: dict[str, RewardModel]
    components: dict[str, Component]
    backend: ScoringBackend  # this process's Scorer, or the queue's (serve --redis-url)
    queue: JobQueue | None = None  # an API process started with --redis-url
    health: dict[str, Any] = field(default_factory=dict)
    # Awaited before each /metrics scrape, so gauges read from elsewhere (queue depth) are fresh.
    scrape_hooks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    health_state: dict[str, Any] = field(default_factory=dict)  # last /healthz verdict, to log changes

    async def score_chunk(
        self, request: ScoreRequest, default_rewards: Mapping[str, float]
    ) -> list[ScoreResult]:
        """Score in this process under `default_rewards` (a queued job's): what a worker scores with."""
        return await Scorer(self.components, dict(default_rewards)).score(request)

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()
        await _close_resources(self.cpu_pool, self.sandbox, self.reward_models)


def _create_cpu_pool(settings: Settings) -> CpuPool:
    from reward_server.rewards.language import warm_up as warm_up_language
    from reward_server.rewards.math import warm_up as warm_up_math

    # Workers (and replacements for killed ones) load the LaTeX parser, sympy and the language
    # models before their first task: loading takes seconds, more than one item's budget, and
    # must not be charged to whichever item comes first. The math warm-up also sets math-verify's
    # process-wide switches, in the workers only.
    initializers = (warm_up_math, warm_up_language)
    return CpuPool(settings.cpu_workers, initializers=initializers)


async def _load_reward_models(settings: Settings, into: dict[str, RewardModel]) -> None:
    if not settings.reward_models:
        return
    from reward_server.logs import route_library_logs
    from reward_server.reward_model.engine import load_reward_model  # torch: only when configured

    route_library_logs()  # transformers' lines through our handler, no progress bars
    for spec in settings.reward_models:
        into[spec.name] = await asyncio.to_thread(load_reward_model, spec)


async def _close_resources(
    cpu_pool: CpuPool, sandbox: Sandbox | None, reward_models: Mapping[str, RewardModel]
) -> None:
    for model in reward_models.values():
        await model.aclose()
    cpu_pool.close()
    if sandbox is not None:
        await sandbox.close()


async def start_services(settings: Settings, *, use_queue: bool = False) -> Services:
    """Start the pool, sandbox and reward models and build the components over them; with `use_queue`,
    /v1/score goes through Redis workers instead of this process (`serve --redis-url`).

    A failure part-way closes what was started (no half-started process) and raises.
    """
    cpu_pool = _create_cpu_pool(settings)
    cpu_pool.start()
    sandbox: Sandbox | None = None
    reward_models: dict[str, RewardModel] = {}
    health: dict[str, Any] = {}
    try:
        limits = sandbox_limits(settings)
        sandbox = await create_sandbox(settings)
        if sandbox is not None:
            health["sandbox"] = sandbox.health()
        await _load_reward_models(settings, reward_models)
        if reward_models:
            health["reward_models"] = {
                name: {
                    "path": m.spec.path,
                    "device": str(m.device),
                    "dtype": str(m.dtype).removeprefix("torch."),
                }
                for name, m in reward_models.items()
            }
    except BaseException:
        await _close_resources(cpu_pool, sandbox, reward_models)
        raise
    gate = SandboxGate(sandbox) if sandbox is not None else None
    components = build_components(
        settings=settings,
        cpu_pool=cpu_pool,
        sandbox=gate,
        sandbox_limits=limits,
        reward_models=reward_models,
    )
    health.update({"cpu_workers": settings.cpu_workers, "components": sorted(components)})
    backend: ScoringBackend = Scorer(components, settings.default_rewards)
    queue: JobQueue | None = None
    if use_queue:
        from reward_server.queue.backend import QueueBackend
        from reward_server.queue.client import JobQueue

        queue = JobQueue(queue_config(settings))
        backend = QueueBackend(queue)
    return Services(
        settings=settings,
        cpu_pool=cpu_pool,
        sandbox=sandbox,
        sandbox_gate=gate,
        sandbox_limits=limits,
        reward_models=reward_models,
        components=components,
        backend=backend,
        queue=queue,
        health=health,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """`reward-server worker`: start this process's services and score queued chunks with them until
    SIGTERM/SIGINT (or `stop`)."""
    from reward_server.queue.worker import Worker

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    config = queue_config(settings)
    services = await start_services(settings)
    worker = Worker(config, services.score_chunk)
    try:
        await worker.run(stop)
    finally:
        await worker.close()
        await services.close()
