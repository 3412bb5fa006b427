"""Reward component names: the fixed ones, `format:TEMPLATE` for a format template and
`model:NAME` for a named reward model."""

from __future__ import annotations

import re

RULE_COMPONENTS = ("accuracy", "format", "language")
MODEL_COMPONENT = "model"
# `format` is the R1 template; `format:r1` names it explicitly, `format:think` is TRL's looser one.
FORMAT_TEMPLATES = ("r1", "think")
_NAME = re.compile(r"^(accuracy|format(:(r1|think))?|language|model(:[A-Za-z0-9_.-]+)?)$")


def validate_reward_name(name: str) -> str:
    """Return `name` if it is a reward component name, else raise ValueError saying which names exist."""
    if not _NAME.match(name):
        raise ValueError(
            f"unknown reward {name!r}: use one of accuracy, format, format:r1, format:think, "
            "language, model or model:NAME"
        )
    return name
