"""Rejection sampling: rank each prompt's sampled completions by reward and keep the best.

Like R1's rejection-sampling stage, completions are first filtered by rule-based rewards
(only correct answers survive when the group has a task), then the survivors are ordered by
the ranking reward, usually a reward model.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from reward_server.errors import RequestError, UnknownReward
from reward_server.pipeline import ScoringBackend, validate_batch_size
from reward_server.reward_names import Weights
from reward_server.schemas import ChatMessage, ScoreItem, ScoreRequest, ScoreResult, Task, _Strict

DEFAULT_RANK_REWARDS: Weights = {"model": 1.0}
DEFAULT_FILTERS: dict[str, float] = {"accuracy": 1.0}


class RankGroup(_Strict):
    """One prompt and the completions sampled for it."""

    id: str | int | None = None
    prompt: str | list[ChatMessage] | None = None
    completions: Annotated[list[str | Annotated[list[ChatMessage], Field(min_length=1)]], Field(min_length=1)]
    task: Task | None = Field(
        default=None, description="With a task (not `none`), the filters run before ranking."
    )
    language: Annotated[str, Field(min_length=2, max_length=16)] | None = None


class RankRequest(_Strict):
    """Groups of sampled completions, the reward that orders them, and how many to keep."""

    groups: Annotated[list[RankGroup], Field(min_length=1)]
    top_k: Annotated[int, Field(ge=1)] = 1
    rewards: Weights | None = Field(
        default=None, description='Weights of the ranking reward; default {"model": 1.0}.'
    )
    filters: Weights | None = Field(
        default=None,
        description="Minimum scores a completion needs before it is ranked, applied to groups with a task; "
        'default {"accuracy": 1.0} (only correct answers). {} ranks everything.',
    )


class RankedCompletion(BaseModel):
    """One completion's verdict: its place (`rank`, 1 = best) or why it was not ranked."""

    index: int = Field(description="Position of the completion in its group's `completions`.")
    rank: int | None = None
    reward: float | None = None
    passed_filters: bool = True
    scores: dict[str, float] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class RankGroupResult(BaseModel):
    id: str | int | None = None
    top: list[int] = Field(description="Indices of the best `top_k` completions, best first.")
    ranking: list[RankedCompletion] = Field(
        description="Ranked completions best first, then those filtered out, then those that failed."
    )


class RankResponse(BaseModel):
    groups: list[RankGroupResult]


def _has_task(group: RankGroup) -> bool:
    return group.task is not None and group.task.type != "none"


def _items(request: RankRequest, keys: list[tuple[int, int]]) -> list[ScoreItem]:
    items = []
    for g, c in keys:
        group = request.groups[g]
        items.append(
            ScoreItem(
                id=f"{g}:{c}",
                prompt=group.prompt,
                completion=group.completions[c],
                task=group.task,
                language=group.language,
            )
        )
    return items


async def rank(request: RankRequest, backend: ScoringBackend, *, max_batch_items: int) -> RankResponse:
    """Filter (groups with a task), score the survivors with the ranking reward, order, keep `top_k`."""
    keys = [(g, c) for g, group in enumerate(request.groups) for c in range(len(group.completions))]
    validate_batch_size(keys, max_batch_items, "groups")
    filters = DEFAULT_FILTERS if request.filters is None else request.filters
    rewards = request.rewards or DEFAULT_RANK_REWARDS
    verdicts: dict[tuple[int, int], RankedCompletion] = {(g, c): RankedCompletion(index=c) for g, c in keys}

    # 1. Filters: scored with weight 0, so they are measured without entering the reward.
    to_filter = [k for k in keys if filters and _has_task(request.groups[k[0]])]
    if to_filter:
        results = await _score(backend, _items(request, to_filter), {n: 0.0 for n in filters}, part="filters")
        for key, result in zip(to_filter, results, strict=True):
            verdict = verdicts[key]
            verdict.scores.update(result.scores)
            verdict.details.update(result.details)
            if result.error is not None:
                verdict.passed_filters, verdict.error = False, result.error
            else:
                below = [n for n, minimum in filters.items() if result.scores[n] < minimum]
                verdict.passed_filters = not below
                if below:
                    verdict.details["filtered_by"] = below

    # 2. The ranking reward, only for what survived.
    to_rank = [k for k in keys if verdicts[k].passed_filters and verdicts[k].error is None]
    if to_rank:
        results = await _score(backend, _items(request, to_rank), rewards, part="rewards")
        for key, result in zip(to_rank, results, strict=True):
            verdict = verdicts[key]
            verdict.scores.update(result.scores)
            verdict.details.update(result.details)
            verdict.reward, verdict.error = result.reward, result.error

    groups = []
    for g, group in enumerate(request.groups):
        mine = [verdicts[(g, c)] for c in range(len(group.completions))]
        ranked = sorted(
            (v for v in mine if v.passed_filters and v.error is None and v.reward is not None),
            key=lambda v: (-(v.reward or 0.0), v.index),  # ties keep sampling order
        )
        for place, verdict in enumerate(ranked, start=1):
            verdict.rank = place
        filtered = [v for v in mine if not v.passed_filters and v.error is None]
        errored = [v for v in mine if v.error is not None]
        groups.append(
            RankGroupResult(
                id=group.id,
                top=[v.index for v in ranked[: request.top_k]],
                ranking=[*ranked, *filtered, *errored],
            )
        )
    return RankResponse(groups=groups)


async def _score(
    backend: ScoringBackend, items: list[ScoreItem], weights: Weights, *, part: str
) -> list[ScoreResult]:
    try:
        return await backend.score(ScoreRequest(items=items, rewards=weights))
    except (UnknownReward, RequestError) as exc:
        # The weights are this request's `part` (the queue backend replays its worker's RequestError).
        if isinstance(exc, RequestError) and exc.status_code != 422:
            raise
        name = exc.name if isinstance(exc, UnknownReward) else str(exc.field[-1] if exc.field else "")
        raise UnknownReward(name, exc.message, part=part) from None
