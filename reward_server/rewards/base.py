"""What every reward component returns, the error an item can fail with, and the component protocol.

`ComponentScore`, `ItemError` and its `Failure` classes live in `reward_server.outcomes` (the pool
and the reward models use them too); they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from reward_server.outcomes import ComponentScore, Failure, ItemError

__all__ = ["Component", "ComponentOutcome", "ComponentScore", "Failure", "ItemError"]

if TYPE_CHECKING:
    from reward_server.schemas import ScoreItem


ComponentOutcome = ComponentScore | ItemError


class Component(Protocol):
    """Scores a list of items; results align with `items`. Never raises for one item's problem."""

    name: str

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentOutcome]: ...
