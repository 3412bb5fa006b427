"""What scoring one item can end in besides a verdict: `ItemError` and its `Failure` class.

The rule (README "Errors and outcomes", docs/architecture.md):

- A **verdict** (`rewards.base.ComponentScore`) needs evidence: the check ran to its end, or a
  rule decided from the completion's own content (an answer the math guards refuse as too costly
  to parse, a program over its time limit in the sandbox). A verdict of 0 is a real 0.
- Anything else is a **non-verdict**: an `ItemError` with a `Failure` class. The item's `reward`
  is null, its `error` says why, and the component's `details` carry ``{"failure": <class>}``, so
  a trainer can mask the sample instead of training on a made-up 0. A time budget the checker
  overran is never evidence: load on the host, a slow gold or a parser bug look the same as a
  pathological answer, so a timeout is a non-verdict.

This module imports nothing from the package: the pool, the rewards and the pipeline all use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["ComponentScore", "Failure", "ItemError", "UnusableGold"]


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """One component's verdict on one item: a score and why.

    Rule-based components keep `score` in [0, 1]; the reward-model component
    returns raw scores. `details` must be JSON-serialisable and picklable.
    """

    score: float
    details: dict[str, Any] = field(default_factory=dict)


class Failure(StrEnum):
    """Why an item got no verdict (``details[component]["failure"]``)."""

    TIMEOUT = "timeout"  # the check overran its time budget (its worker was replaced)
    WORKER_CRASH = "worker_crash"  # the pool worker died (segfault, OOM kill)
    SANDBOX_ERROR = "sandbox_error"  # the sandbox failed on every attempt
    UNUSABLE_GOLD = "unusable_gold"  # the gold side (math answer, tests, checker) cannot be used
    INVALID_ITEM = "invalid_item"  # the item asks for what cannot be done here (no task, unknown language)
    MODEL_ERROR = "model_error"  # the reward model failed or returned a non-finite score
    INTERNAL_ERROR = "internal_error"  # a bug (logged with its traceback)


def _rebuild(cls: type[ItemError], message: str, failure: Failure, details: dict[str, Any]) -> ItemError:
    error = cls.__new__(cls)
    ItemError.__init__(error, message, failure=failure, details=details)
    return error


class ItemError(Exception):
    """A problem with one item (not the batch): the item gets `message` as its `error`.

    `failure` classifies it (default `invalid_item`, the item's own problem: pass the class for
    anything else); `details` (JSON-serialisable) go next to the class in the component's details.
    Picklable with both, so a pool worker may raise it and the caller gets it back whole.
    """

    def __init__(
        self, message: str, *, failure: Failure = Failure.INVALID_ITEM, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.failure = Failure(failure)
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.failure, self.details))

    def as_details(self) -> dict[str, Any]:
        """What the component's `details` hold for this item: the failure class first."""
        return {"failure": self.failure.value, **self.details}


class UnusableGold(ItemError):
    """The task's gold side cannot be used (an empty or oversized math answer, tests that cannot run)."""

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, failure=Failure.UNUSABLE_GOLD, details=details)
