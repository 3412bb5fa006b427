"""Old import path of `reward_server.rewards.math.comparison` (kept for code that still imports it)."""

from reward_server.rewards.math.comparison import *  # noqa: F403
from reward_server.rewards.math.comparison import __all__ as __all__
