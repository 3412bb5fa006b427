"""Fixtures of the peers lane."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def sandbox_images() -> None:
    """The python and cpp sandbox images, built before the live server starts (it picks its sandbox then).

    Autouse and session-scoped, so it runs before `reward_server_url` in whichever test starts it.
    """
    from tests.support.sandbox_helpers import require_images

    require_images(["python", "cpp"])
