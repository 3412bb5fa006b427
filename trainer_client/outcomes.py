"""What a trainer does with a sample the service gave no verdict: train on a 0, or mask it.

The service's rule (its README, "Errors and outcomes"): a sample it could not judge (a check that
overran its budget, a crashed worker, a sandbox error, an unusable gold, ...) comes back with
``reward`` None, an ``error`` and, in the failed component's ``details``, ``{"failure": CLASS}``;
a result the client itself could not get (deadline, transport, HTTP error) has ``reward`` None
too. Such a sample is never a real 0. Each adapter takes ``on_failure``:

- ``"zero"``: the sample gets ``error_score`` (0.0 unless given) and trains as a wrong answer.
- ``"mask"``: the sample is left out of the update, in the way the trainer offers (see each
  adapter's docstring: TRL and the GRPO loop per sample; OpenRLHF per prompt group with dynamic
  filtering; verl 0.9.1 offers no way, so its adapter refuses ``"mask"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from trainer_client.types import ScoreResult

__all__ = ["CLIENT_FAILURE", "OnFailure", "failure_class", "on_failure_option", "reward_for"]

# The class of a result the client made itself: the service gave none for the sample (the deadline
# passed, the connection failed, an HTTP error, or a 422 that refused the item).
CLIENT_FAILURE = "unscored"


class OnFailure(StrEnum):
    """What an adapter returns for a sample without a verdict."""

    ZERO = "zero"
    MASK = "mask"


def on_failure_option(value: str | OnFailure) -> OnFailure:
    """`value` as an `OnFailure`; ValueError naming the choices otherwise."""
    try:
        return OnFailure(value)
    except ValueError:
        choices = ", ".join(repr(o.value) for o in OnFailure)
        raise ValueError(f"on_failure must be one of {choices}, not {value!r}") from None


def failure_class(result: ScoreResult) -> str | None:
    """The failure class of a sample without a verdict (the first component's), else None.

    A result without a reward whose details name no class is the client's own
    (`CLIENT_FAILURE`): the service gave no result for that sample.
    """
    if result["reward"] is not None:
        return None
    for details in (result.get("details") or {}).values():
        if isinstance(details, Mapping) and isinstance(details.get("failure"), str):
            return str(details["failure"])
    return CLIENT_FAILURE


def reward_for(result: ScoreResult, on_failure: OnFailure, error_score: float = 0.0) -> float | None:
    """The reward a trainer sees: the verdict's, else None (mask) or `error_score` (zero)."""
    reward: Any = result["reward"]
    if reward is not None:
        return float(reward)
    return None if on_failure is OnFailure.MASK else error_score
