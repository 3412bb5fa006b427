"""The HTTP contract: request and response models of /v1/score."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reward_server.rewards.names import validate_reward_name

Weights = dict[str, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str


class NoTask(_Strict):
    type: Literal["none"]


class MathTask(_Strict):
    type: Literal["math"]
    answer: Annotated[str, Field(min_length=1, description="The gold answer, LaTeX or plain text.")]


Task = Annotated[MathTask | NoTask, Field(discriminator="type")]


def _check_weights(value: Weights | None) -> Weights | None:
    if value is None:
        return value
    for name, weight in value.items():
        validate_reward_name(name)
        if weight != weight or weight in (float("inf"), float("-inf")):
            raise ValueError(f"weight of {name!r} must be a finite number")
    return value


class ScoreItem(_Strict):
    """One completion to score."""

    id: str | int | None = None
    prompt: str | list[ChatMessage] | None = None
    completion: str | Annotated[list[ChatMessage], Field(min_length=1)]
    task: Task | None = None
    language: Annotated[str, Field(min_length=2, max_length=16)] | None = None
    rewards: Weights | None = Field(
        default=None, description="Per-item weights; override the batch's per key."
    )

    @field_validator("rewards")
    @classmethod
    def _known_weights(cls, value: Weights | None) -> Weights | None:
        return _check_weights(value)


class ScoreRequest(_Strict):
    """A batch of completions and the reward weights to apply."""

    items: list[ScoreItem]
    rewards: Weights | None = Field(
        default=None, description="Batch weights; the server's defaults when absent."
    )

    @field_validator("rewards")
    @classmethod
    def _known_weights(cls, value: Weights | None) -> Weights | None:
        return _check_weights(value)


class ScoreResult(BaseModel):
    """One item's reward: `reward` is Σ weight × score, or null when `error` is set."""

    id: str | int | None = None
    reward: float | None
    scores: dict[str, float] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class ScoreResponse(BaseModel):
    results: list[ScoreResult]
