"""verl adapter: reward-server as verl's custom reward function.

verl 0.9.x scores through its reward loop (`verl.experimental.reward_loop`): each reward worker
runs every sample of its share of the batch as a concurrent task and awaits an ``async def``
`compute_score` directly. `compute_score_async` is that function: the calls that arrive together
are sent as one `/v1/score` batch, and it returns a dict, which verl puts in `reward_extra_info`
(so every sample's dict has the same keys: ``score``, ``reward_error`` and one per weighted
component)::

    reward.custom_reward_function.path=/path/to/site-packages/trainer_client/verl.py
    reward.custom_reward_function.name=compute_score_async
    +reward.custom_reward_function.reward_kwargs.base_url=http://rs:8000
    +reward.custom_reward_function.reward_kwargs.rewards.accuracy=1.0

`compute_score` (one HTTP call per sample) and `compute_score_batch` (verl < 0.6's
``reward_model.reward_manager=batch``) remain for older verl releases.

`ground_truth` is the gold answer (scored as math), a task (dict or JSON string), or verl's own
code ground truth (``{"inputs": [...], "outputs": [...]}``, with ``fn_name`` for call-based
problems), which is run in the sandbox. `extra_info` may carry `prompt` (or `question`),
`language`, `task` and per-item `rewards`. verl needs a number per sample, so an item the
service could not score gets `error_score` and a logged warning (and ``reward_error`` 1.0).

``on_failure`` takes only ``"zero"`` here: verl 0.9.1 gives a reward function no way to leave a
sample out. Its reward loop (`verl/experimental/reward_loop/reward_manager/naive.py`) puts the
returned ``score`` straight into ``rm_scores``, and the GRPO advantage
(`compute_grpo_outcome_advantage` in `verl/trainer/ppo/core_algos.py`) takes ``torch.mean`` and
``torch.std`` over every score of a prompt's group with no NaN handling, so a None or NaN score
would make the whole group's advantages NaN. ``"mask"`` raises ValueError saying so; the
``reward_error`` key (1.0 for a sample without a verdict) is there to filter or watch on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client._items import as_messages_or_text, task_from_label
from trainer_client._verl_code import plain
from trainer_client.client import RewardClient
from trainer_client.outcomes import OnFailure, on_failure_option
from trainer_client.types import ScoreResult

__all__ = ["compute_score", "compute_score_async", "compute_score_batch"]

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
    on_failure: str = "zero",
    **kwargs: Any,
) -> float:
    """verl's per-sample signature; one HTTP call per sample (prefer `compute_score_async`).

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
        on_failure=on_failure,
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
    on_failure: str = "zero",
    **kwargs: Any,
) -> list[float]:
    """verl's batched signature (BatchRewardManager, verl < 0.6): one score per solution, in order.

    `base_url` and `api_key` default to the ``REWARD_SERVER_URL`` and ``REWARD_SERVER_API_KEY``
    environment variables, so Ray workers can be configured without touching the trainer config.
    """
    _check_on_failure(on_failure)
    if not (len(data_sources) == len(solution_strs) == len(ground_truths)):
        raise ValueError(
            f"data_sources, solution_strs and ground_truths differ in length: "
            f"{len(data_sources)}, {len(solution_strs)}, {len(ground_truths)}"
        )
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    items = [
        _item(solution, truth, info or {})
        for solution, truth, info in zip(solution_strs, ground_truths, infos, strict=True)
    ]
    client = _client(base_url, api_key, timeout_s)
    sendable = [item for item in items if not isinstance(item, str)]
    scored = iter(client.score(sendable, rewards) if sendable else [])
    results = [_failed(item) if isinstance(item, str) else next(scored) for item in items]
    _warn_unscored(results)
    return [r["reward"] if r["reward"] is not None else error_score for r in results]


async def compute_score_async(
    data_source: str | None = None,
    solution_str: str = "",
    ground_truth: Any = None,
    extra_info: Mapping[str, Any] | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    rewards: Mapping[str, float] | None = None,
    timeout_s: float = 300.0,
    error_score: float = 0.0,
    on_failure: str = "zero",
    batch_window_s: float = 0.05,
    max_batch_size: int = 1024,
    **kwargs: Any,
) -> dict[str, float]:
    """verl's reward-loop function: ``{"score": reward, "reward_error": 0 or 1, <component>: score}``.

    Concurrent calls from one event loop (verl's reward worker runs its samples as concurrent
    tasks) are collected for up to `batch_window_s` seconds, or until `max_batch_size` arrive, and
    scored in one call. Component keys are those of `rewards`; without `rewards` (the server's
    default weights) the dict holds only ``score`` and ``reward_error``.
    """
    _check_on_failure(on_failure)
    item = _item(solution_str, ground_truth, extra_info or {})
    if isinstance(item, str):
        result = _failed(item)
    else:
        client = _client(base_url, api_key, timeout_s)
        batcher = _batcher(client, rewards, batch_window_s, max_batch_size)
        result = await batcher.score(item)
    if result["error"] is not None:
        log.warning("reward-server could not score a sample: %s", result["error"])
    reward = result["reward"]
    info = {
        "score": float(reward) if reward is not None else error_score,
        "reward_error": 0.0 if result["error"] is None else 1.0,
    }
    for name in sorted(rewards or {}):
        info[name] = float(result["scores"].get(name, 0.0))
    return info


class _Batcher:
    """Collects concurrent single-item calls on one event loop into one `ascore` call."""

    def __init__(
        self, client: RewardClient, rewards: Mapping[str, float] | None, window_s: float, max_size: int
    ) -> None:
        self.client, self.rewards = client, rewards
        self.window_s, self.max_size = window_s, max_size
        self.pending: list[tuple[dict[str, Any], asyncio.Future[ScoreResult]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.sending: set[asyncio.Task[None]] = set()

    async def score(self, item: dict[str, Any]) -> ScoreResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ScoreResult] = loop.create_future()
        self.pending.append((item, future))
        if len(self.pending) >= self.max_size:
            self._flush()
        elif self.timer is None:
            self.timer = loop.call_later(self.window_s, self._flush)
        return await future

    def _flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)

    async def _send(self, batch: list[tuple[dict[str, Any], asyncio.Future[ScoreResult]]]) -> None:
        try:
            results = await self.client.ascore([item for item, _ in batch], self.rewards)
        except BaseException as exc:  # a misconfiguration (401/404) reaches every waiting sample
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], _Batcher]] = (
    weakref.WeakKeyDictionary()
)


def _batcher(
    client: RewardClient, rewards: Mapping[str, float] | None, window_s: float, max_size: int
) -> _Batcher:
    by_key = _batchers.setdefault(asyncio.get_running_loop(), {})
    weights = tuple(sorted((rewards or {}).items())) if rewards is not None else None
    key = (id(client), weights, window_s, max_size)
    batcher = by_key.get(key)
    if batcher is None:
        batcher = by_key[key] = _Batcher(client, rewards, window_s, max_size)
    return batcher


def _check_on_failure(on_failure: str) -> None:
    if on_failure_option(on_failure) is OnFailure.MASK:
        raise ValueError(
            "on_failure='mask' is not possible with verl 0.9.1: a reward function cannot leave a sample "
            "out, and a None or NaN score turns its whole group's GRPO advantages into NaN "
            "(compute_grpo_outcome_advantage averages every score of the group); use on_failure='zero' "
            "and watch the reward_error key"
        )


def _item(solution: str, ground_truth: Any, info: Mapping[str, Any]) -> dict[str, Any] | str:
    """The `/v1/score` item for one sample, or why there is none."""
    task = info.get("task")
    try:
        label = plain(task if task is not None else ground_truth)
        item: dict[str, Any] = {"completion": solution, "task": task_from_label(label)}
    except ValueError as exc:
        return f"ground_truth: {exc}"
    prompt = info.get("prompt", info.get("question"))
    if prompt is not None:
        item["prompt"] = as_messages_or_text(plain(prompt))
    if info.get("language"):
        item["language"] = info["language"]
    if info.get("rewards"):
        item["rewards"] = dict(info["rewards"])
    return item


def _failed(message: str) -> ScoreResult:
    return {"id": "", "reward": None, "scores": {}, "details": {}, "error": message}


def _warn_unscored(results: Sequence[ScoreResult]) -> None:
    errors = [r["error"] for r in results if r["error"] is not None]
    if errors:
        log.warning(
            "reward-server could not score %d of %d samples (first: %s)", len(errors), len(results), errors[0]
        )


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
