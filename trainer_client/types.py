"""The JSON shapes the client sends and gets back (they mirror `POST /v1/score`)."""

from __future__ import annotations

from typing import Any, TypedDict

Message = dict[str, Any]  # {"role": ..., "content": ...}


class ScoreResult(TypedDict):
    """One item's verdict, aligned with the item that was sent.

    `reward` is None exactly when `error` says why: the server could not score the item, or the
    client could not get an answer for it before the call's deadline.
    """

    id: str
    reward: float | None
    scores: dict[str, float]
    details: dict[str, Any]
    error: str | None
