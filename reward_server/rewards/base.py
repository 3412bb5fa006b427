"""What every reward component returns, the error an item can fail with, and the component protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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


class ItemError(Exception):
    """A problem with one item (not the batch): the item gets this message as its `error`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


ComponentOutcome = ComponentScore | ItemError


class Component(Protocol):
    """Scores a list of items; results align with `items`. Never raises for one item's problem."""

    name: str

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentOutcome]: ...
