"""Builds the FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reward_server import __version__
from reward_server.auth import OPEN_PATHS, ApiKeyMiddleware, ApiKeys
from reward_server.body_limit import BodyLimitMiddleware
from reward_server.config import Settings
from reward_server.docs import create_documented_app
from reward_server.errors import install_error_handlers
from reward_server.request_context import RequestContextMiddleware
from reward_server.routes import health, jobs, metrics, nemo_gym, openrlhf, rank, sandbox, score, slime
from reward_server.services import start_services

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The reward service: routes, error handlers and the services they share."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.api_keys and settings.host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("serving on %s without API keys: anyone who can reach it can score", settings.host)
        services = await start_services(settings, use_queue=bool(settings.redis_url))
        app.state.services = services
        try:
            yield
        finally:
            await services.close()

    app = create_documented_app(
        title="reward-server",
        version=__version__,
        keyed=bool(settings.api_keys),
        open_paths=OPEN_PATHS,
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # Added last = outermost: refused (401) and oversized (413) requests still get an id, a log line
    # and a latency sample.
    app.add_middleware(ApiKeyMiddleware, keys=ApiKeys(settings.api_keys))
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(score.router)
    app.include_router(metrics.router)
    app.include_router(sandbox.router)
    app.include_router(rank.router)
    app.include_router(openrlhf.router)
    app.include_router(nemo_gym.router)
    app.include_router(slime.router)
    app.include_router(jobs.router)
    return app
