"""Reward component names: the fixed ones, `format:TEMPLATE` for a format template and
`model:NAME` for a named reward model."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated

from pydantic import AfterValidator

RULE_COMPONENTS = ("accuracy", "efficiency", "format", "language", "lint")
MODEL_COMPONENT = "model"
# `format` is the R1 template; `format:r1` names it explicitly, `format:think` is TRL's looser one.
FORMAT_TEMPLATES = ("r1", "think")
_NAME = re.compile(r"^(accuracy|efficiency|format(:(r1|think))?|language|lint|model(:[A-Za-z0-9_.-]+)?)$")


def validate_reward_name(name: str) -> str:
    """Return `name` if it is a reward component name, else raise ValueError saying which names exist."""
    if not _NAME.match(name):
        raise ValueError(
            f"unknown reward {name!r}: use one of accuracy, efficiency, format, format:r1, format:think, "
            "language, lint, model or model:NAME"
        )
    return name


def validate_weights(value: Mapping[str, float]) -> dict[str, float]:
    """Return `value` as a dict if every key is a reward name and every value a finite number, else
    raise ValueError naming the first that is not. The one check of a weights (or filters) mapping."""
    for name, weight in value.items():
        validate_reward_name(name)
        if not math.isfinite(weight):
            raise ValueError(f"the value of {name!r} must be a finite number, not {weight}")
    return dict(value)


Weights = Annotated[dict[str, float], AfterValidator(validate_weights)]
"""Reward name -> number, validated by `validate_weights` wherever a model declares it."""
