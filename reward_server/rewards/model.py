"""The `model` and `model:NAME` components: raw scores of sequence-classification reward models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from reward_server.reward_model.inputs import RewardInput
from reward_server.reward_names import MODEL_COMPONENT
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.schemas import ScoreItem

if TYPE_CHECKING:
    from reward_server.reward_model.engine import RewardModel

DEFAULT_MODEL_NAME = "default"


class RewardModelComponent:
    """Scores each item with one reward model: `logits[:, 0]` over prompt + completion.

    The score is raw (or `(raw - mean) / std` when the model is configured to normalise), not
    clipped to [0, 1]. Example: `{"rewards": {"model:helpful": 0.5}}` adds half the helpfulness
    model's score to each item's reward.
    """

    def __init__(self, name: str, model: RewardModel) -> None:
        self.name = name
        self.model = model

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        return await self.model.score([RewardInput(item.prompt, item.completion) for item in items])


def reward_model_components(models: Mapping[str, RewardModel]) -> dict[str, RewardModelComponent]:
    """`model:NAME` for every loaded model, and `model` for the one named `default` (else the first)."""
    components = {
        f"{MODEL_COMPONENT}:{name}": RewardModelComponent(f"{MODEL_COMPONENT}:{name}", model)
        for name, model in models.items()
    }
    if models:
        default = models.get(DEFAULT_MODEL_NAME) or next(iter(models.values()))
        components[MODEL_COMPONENT] = RewardModelComponent(MODEL_COMPONENT, default)
    return components
