"""Old import path of `reward_server.rewards.math.numbers` (kept for code that still imports it)."""

from reward_server.rewards.math.numbers import *  # noqa: F403
from reward_server.rewards.math.numbers import __all__ as __all__
