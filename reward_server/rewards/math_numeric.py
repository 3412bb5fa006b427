"""Old import path of `reward_server.rewards.math.numeric_check` (kept for code that still imports it)."""

from reward_server.rewards.math.numeric_check import *  # noqa: F403
from reward_server.rewards.math.numeric_check import __all__ as __all__
