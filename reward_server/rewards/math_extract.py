"""Old import path of `reward_server.rewards.math.extraction` (kept for code that still imports it)."""

from reward_server.rewards.math.extraction import *  # noqa: F403
from reward_server.rewards.math.extraction import __all__ as __all__
