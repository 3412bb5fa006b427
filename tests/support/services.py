"""Real services the tests need (Redis, Docker, bubblewrap, a free port).

In CI (`CI=true`) a missing service fails the test; elsewhere it skips with a message saying how to start it.
"""

from __future__ import annotations

import os
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(message: str) -> None:
    """A service the test needs is missing: fail in CI, skip elsewhere with how to fix it."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_service(available: bool, what: str, how: str) -> None:
    """Fail in CI, skip elsewhere, when a real service the test needs is missing."""
    if not available:
        unavailable(f"{what} is not available: {how}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
