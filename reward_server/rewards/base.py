"""What every reward component returns, the error an item can fail with, and the component protocol.

`ItemError` and its `Failure` classes live in `reward_server.outcomes` (the pool uses them too);
they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from reward_server.outcomes import Failure, ItemError

__all__ = ["Component", "ComponentOutcome", "ComponentScore", "Failure", "ItemError"]

if TYPE_CHECKING:
    from reward_server.schemas import ScoreItem


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """One component's verdict on one item: a score and why.

    Rule-based components keep `score` in [0, 1]; the reward-model component
    returns raw scores. `details` must be JSON-serialisable and picklable.
    """

    score: float
    details: dict[str, Any] = field(default_factory=dict)


ComponentOutcome = ComponentScore | ItemError


class Component(Protocol):
    """Scores a list of items; results align with `items`. Never raises for one item's problem."""

    name: str

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentOutcome]: ...
