"""TRL adapter: reward-server as a GRPOTrainer reward function.

    from trainer_client import make_trl_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[make_trl_reward("http://rs:8000")], ...)

TRL calls a reward function with `prompts`, `completions`, `completion_ids`, every dataset column
as a keyword (so a `task`, `answer`/`solution` or `language` column reaches us), and, in recent
versions, `trainer_state`, `log_metric` and `log_extra`. It expects `list[float | None]`; None
leaves that sample out of this function's share of the reward. `async def` functions are awaited
concurrently with the other reward functions (TRL >= 0.27).

Masking (``on_failure="mask"``, the default) returns None for a sample without a verdict. What
TRL 1.16.0 does with it (`trl/trainer/grpo_trainer.py`): `_calculate_rewards` turns None into NaN
(``reward if reward is not None else torch.nan``); in `_generate_and_score_completions` a row
whose every reward function gave NaN is "unscorable" (``torch.isnan(rewards_per_func).all(dim=1)``):
its reward is set to NaN so the nan-aware group mean and std (``torch.nanmean``, ``nanstd``) leave
it out, and ``torch.nan_to_num(advantages, nan=0.0)`` gives it advantage 0, so it moves nothing.
With other reward functions beside this one, ``nansum`` drops only this function's share for that
sample. ``on_failure="zero"`` returns `error_score` instead (trains the sample as a wrong answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from trainer_client._items import as_messages_or_text, task_from_label
from trainer_client.client import RewardClient
from trainer_client.outcomes import failure_class, on_failure_option, reward_for

__all__ = ["make_trl_reward"]

TrlRewardFunc = Callable[..., Awaitable[list[float | None]]]


def make_trl_reward(
    base_url: str,
    rewards: Mapping[str, float] | None = None,
    *,
    api_key: str | None = None,
    client: RewardClient | None = None,
    task_column: str = "task",
    answer_columns: Sequence[str] = ("answer", "solution"),
    language_column: str = "language",
    language: str | None = None,
    name: str = "reward_server",
    on_failure: str = "mask",
    error_score: float = 0.0,
    **client_options: Any,
) -> TrlRewardFunc:
    """A GRPOTrainer reward function that scores through reward-server.

    Args:
        base_url: the service root.
        rewards: component weights, e.g. ``{"accuracy": 1.0, "format": 0.2}`` (None: server defaults).
        task_column: dataset column holding a task dict or JSON task (checked first).
        answer_columns: columns holding a bare gold answer, scored as a math task.
        language_column / language: the target language per sample, or one for all.
        name: the function's ``__name__``, which TRL uses to label the reward in its logs.
        on_failure: ``"mask"`` (None for a sample without a verdict: TRL leaves it out, see the
            module docstring) or ``"zero"`` (`error_score` for it). ValueError for anything else.
        client_options: passed to `RewardClient` (timeout_s, chunk_size, ...).

    Component means are reported through TRL's ``log_metric`` as ``<name>/<component>`` and each
    sample's error through ``log_extra`` when TRL provides them.
    """
    policy = on_failure_option(on_failure)
    reward_client = client or RewardClient(base_url, api_key, **client_options)

    async def reward_fn(
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Sequence[Any] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        log_metric = columns.pop("log_metric", None)
        log_extra = columns.pop("log_extra", None)
        columns.pop("trainer_state", None)
        completions = list(completions or [])
        items = []
        for i, completion in enumerate(completions):
            item: dict[str, Any] = {
                "prompt": as_messages_or_text(prompts[i] if prompts is not None else None),
                "completion": as_messages_or_text(completion),
                "task": _task_for(i, columns, task_column, answer_columns),
            }
            target = _column(columns, language_column, i) or language
            if target:
                item["language"] = target
            items.append(item)
        results = await reward_client.ascore(items, rewards)
        if callable(log_metric):
            for component, values in _component_values(results).items():
                log_metric(f"{name}/{component}", sum(values) / len(values))
            log_metric(
                f"{name}/error_rate", sum(r["error"] is not None for r in results) / max(1, len(results))
            )
        if callable(log_extra):
            log_extra(f"{name}/error", [r["error"] or "" for r in results])
            log_extra(f"{name}/failure", [failure_class(r) or "" for r in results])
        return [reward_for(r, policy, error_score) for r in results]

    reward_fn.__name__ = reward_fn.__qualname__ = name
    reward_fn.client = reward_client  # type: ignore[attr-defined]  # so callers can close it
    return reward_fn


def _column(columns: Mapping[str, Any], key: str, index: int) -> Any:
    values = columns.get(key)
    if values is None or isinstance(values, str | bytes) or index >= len(values):
        return None
    return values[index]


def _task_for(index: int, columns: Mapping[str, Any], task_column: str, answer_columns: Sequence[str]) -> Any:
    task = _column(columns, task_column, index)
    if task is not None:
        return task_from_label(task)
    for column in answer_columns:
        answer = _column(columns, column, index)
        if answer is not None:
            return {"type": "math", "answer": str(answer)}
    return {"type": "none"}


def _component_values(results: Sequence[Mapping[str, Any]]) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for result in results:
        for component, score in (result.get("scores") or {}).items():
            values.setdefault(component, []).append(float(score))
    return values
