"""Choosing and starting the code sandbox from the settings (`--sandbox auto|docker|local|none`)."""

from __future__ import annotations

import logging

from reward_server.config import Settings
from sandboxes import DockerConfig, DockerSandbox, Limits, LocalSandbox, Sandbox, SandboxError

log = logging.getLogger(__name__)


def sandbox_limits(settings: Settings) -> Limits:
    """The limits a run gets when its request names none."""
    return Limits(
        time_limit_s=settings.sandbox_time_limit_s,
        memory_limit_mb=settings.sandbox_memory_limit_mb,
        output_limit_bytes=settings.sandbox_output_limit_bytes,
    )


async def create_sandbox(settings: Settings) -> Sandbox | None:
    """Start the configured sandbox. `auto` prefers Docker and falls back to local, loudly."""
    if settings.sandbox == "none":
        return None
    if settings.sandbox in ("docker", "auto"):
        docker_sandbox = DockerSandbox(
            DockerConfig(
                pool_size=settings.sandbox_pool_size,
                prewarm=tuple(settings.sandbox_prewarm),
                memory_limit_mb=settings.sandbox_memory_limit_mb,
            )
        )
        try:
            await docker_sandbox.start()
            return docker_sandbox
        except (SandboxError, ImportError) as exc:
            await docker_sandbox.close()
            if settings.sandbox == "docker":
                raise SandboxError(f"--sandbox docker: {exc}") from exc
            log.warning("Docker sandbox unavailable (%s); falling back to the local sandbox", exc)
    local = LocalSandbox()
    await local.start()
    log.warning(
        "code runs in the LOCAL sandbox (%s): %s",
        local.isolation,
        local.health().get("warning", "weaker isolation"),
    )
    return local
