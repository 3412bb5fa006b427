"""verl adapter: reward-server as verl's custom reward function.

verl config (the batched variant needs ``reward_model.reward_manager=batch``)::

    custom_reward_function:
      path: /path/to/site-packages/trainer_client/verl.py
      name: compute_score_batch
      reward_kwargs: {base_url: "http://rs:8000", rewards: {accuracy: 1.0, format: 0.1}}

`ground_truth` is the gold answer (scored as math) or a task (dict or JSON string). `extra_info`
may carry `prompt` (or `question`), `language`, `task` and per-item `rewards`. verl needs a float
per sample, so an item the service could not score gets `error_score` and a logged warning.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client._items import as_messages_or_text, task_from_label
from trainer_client.client import RewardClient

__all__ = ["compute_score", "compute_score_batch"]

log = logging.getLogger(__name__)

_clients: dict[tuple[str, str | None, float], RewardClient] = {}
_clients_lock = threading.Lock()


def compute_score(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    rewards: Mapping[str, float] | None = None,
    timeout_s: float = 300.0,
    error_score: float = 0.0,
    **kwargs: Any,
) -> float:
    """verl's per-sample signature; one HTTP call per sample (prefer `compute_score_batch`).

    Extra keyword arguments verl passes to every reward function (sandbox settings and the like)
    are accepted and ignored: the service owns those decisions.
    """
    return compute_score_batch(
        [data_source],
        [solution_str],
        [ground_truth],
        [extra_info],
        base_url=base_url,
        api_key=api_key,
        rewards=rewards,
        timeout_s=timeout_s,
        error_score=error_score,
    )[0]


def compute_score_batch(
    data_sources: Sequence[str | None],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    rewards: Mapping[str, float] | None = None,
    timeout_s: float = 300.0,
    error_score: float = 0.0,
    **kwargs: Any,
) -> list[float]:
    """verl's batched signature (BatchRewardManager): one score per solution, in order.

    `base_url` and `api_key` default to the ``REWARD_SERVER_URL`` and ``REWARD_SERVER_API_KEY``
    environment variables, so Ray workers can be configured without touching the trainer config.
    """
    if not (len(data_sources) == len(solution_strs) == len(ground_truths)):
        raise ValueError(
            f"data_sources, solution_strs and ground_truths differ in length: "
            f"{len(data_sources)}, {len(solution_strs)}, {len(ground_truths)}"
        )
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    items = [
        _item(source, solution, truth, info or {})
        for source, solution, truth, info in zip(
            data_sources, solution_strs, ground_truths, infos, strict=True
        )
    ]
    client = _client(base_url, api_key, timeout_s)
    results = client.score(items, rewards)
    errors = [r["error"] for r in results if r["error"] is not None]
    if errors:
        log.warning(
            "reward-server could not score %d of %d samples (first: %s)", len(errors), len(items), errors[0]
        )
    return [r["reward"] if r["reward"] is not None else error_score for r in results]


def _item(
    data_source: str | None, solution: str, ground_truth: Any, info: Mapping[str, Any]
) -> dict[str, Any]:
    task = info.get("task")
    item: dict[str, Any] = {
        "completion": solution,
        "task": task_from_label(task if task is not None else ground_truth),
    }
    prompt = info.get("prompt", info.get("question"))
    if prompt is not None:
        item["prompt"] = as_messages_or_text(prompt)
    if info.get("language"):
        item["language"] = info["language"]
    if info.get("rewards"):
        item["rewards"] = dict(info["rewards"])
    return item


def _client(base_url: str | None, api_key: str | None, timeout_s: float) -> RewardClient:
    url = base_url or os.environ.get("REWARD_SERVER_URL")
    if not url:
        raise ValueError("reward-server URL missing: pass base_url in reward_kwargs or set REWARD_SERVER_URL")
    key = api_key or os.environ.get("REWARD_SERVER_API_KEY")
    with _clients_lock:
        client = _clients.get((url, key, timeout_s))
        if client is None:
            client = _clients[(url, key, timeout_s)] = RewardClient(url, key, timeout_s=timeout_s)
        return client
