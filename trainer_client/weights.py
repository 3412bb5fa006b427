"""`--rewards` on every command line (`reward-server serve` and `eval`, `python -m trainer_client.grpo`):
one parser, shipped by both distributions.

Which reward names exist is the server's to say (a newer server knows more): the names are checked
where the weights arrive (`Settings`, `/v1/score`), the shape and the numbers here.
"""

from __future__ import annotations

import argparse
import json
import math
import re

__all__ = ["parse_weights", "weights_argument"]

# The shape of a reward name (`accuracy`, `format:think`, `model:helpful`); which names exist is the server's.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]*$")


def parse_weights(text: str) -> dict[str, float]:
    """Reward weights from `accuracy=1,format=0.2` (a bare `NAME` weighs 1) or a JSON object.

    >>> parse_weights("accuracy=1, format=0.2, language")
    {'accuracy': 1.0, 'format': 0.2, 'language': 1.0}
    >>> parse_weights('{"accuracy": 1}')
    {'accuracy': 1.0}

    Raises ValueError naming the part that is not `NAME=NUMBER` with a finite number.
    """
    text = text.strip()
    if text.startswith("{"):
        return _json_weights(text)
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = (s.strip() for s in part.partition("="))
        if not _NAME.match(name):
            raise ValueError(f"{part!r} names no reward: write NAME=WEIGHT, e.g. accuracy=1,format=0.2")
        weights[name] = _number(name, value) if sep else 1.0
    if not weights:
        raise ValueError("no weights given: write NAME=WEIGHT pairs, e.g. accuracy=1,format=0.2")
    return weights


def weights_argument(text: str) -> dict[str, float]:
    """`parse_weights` as an argparse `type`: a mistake is argparse's one-line error."""
    try:
        return parse_weights(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _json_weights(text: str) -> dict[str, float]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not a JSON object of weights ({exc}); or write accuracy=1,format=0.2") from None
    if not isinstance(value, dict):
        raise ValueError('a JSON object of weights maps names to numbers, e.g. {"accuracy": 1}')
    for name in value:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a reward name, e.g. accuracy or model:helpful")
    return {name: _number(name, weight) for name, weight in value.items()}


def _number(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(f"the weight of {name!r} is not a number: {value!r}")
    try:
        weight = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"the weight of {name!r} is not a number: {value!r}") from None
    if not math.isfinite(weight):
        raise ValueError(f"the weight of {name!r} must be a finite number, not {value!r}")
    return weight
