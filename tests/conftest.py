"""Shared fixtures: one in-process app per session (its process pool is the expensive part)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from reward_server.app import create_app
from reward_server.config import Settings

pytest_plugins = ["tests.support.redis_fixtures"]  # redis-server and queue-worker fixtures


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(cpu_workers=2, math_timeout_s=3.0, max_batch_items=64, max_body_bytes=256 * 1024)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def reward_server_url() -> Iterator[str]:
    """A real `reward-server serve` process (for tests where the process boundary matters)."""
    from tests.support.reward_server_process import running_reward_server

    with running_reward_server({"REWARD_SERVER_CPU_WORKERS": "2"}) as url:
        yield url
