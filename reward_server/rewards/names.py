"""Reward component names: the fixed ones and `model:NAME` for a named reward model."""

from __future__ import annotations

import re

RULE_COMPONENTS = ("accuracy", "format", "language")
MODEL_COMPONENT = "model"
_NAME = re.compile(r"^(accuracy|format|language|model(:[A-Za-z0-9_.-]+)?)$")


def validate_reward_name(name: str) -> str:
    """Return `name` if it is a reward component name, else raise ValueError saying which names exist."""
    if not _NAME.match(name):
        raise ValueError(
            f"unknown reward {name!r}: use one of accuracy, format, language, model or model:NAME"
        )
    return name
