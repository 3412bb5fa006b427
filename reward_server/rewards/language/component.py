"""The language reward as a service component: items travel to the CPU pool in chunks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from reward_server.cpu_pool import CpuPool
from reward_server.rewards.base import ComponentScore, Failure, ItemError
from reward_server.rewards.language.identify import candidates, load_detectors
from reward_server.rewards.language.reward import normalize_language, score_language
from reward_server.rewards.text import completion_text, prompt_text, with_prefilled_think
from reward_server.schemas import ScoreItem

__all__ = ["LanguageComponent", "score_language_batch"]


def _candidate_sets(target: str) -> set[frozenset[str]]:
    """The candidate sets lingua judges `target`'s chains of thought among."""
    found = set()
    for script in ("Latn", "Cyrl", "Arab", "Deva"):
        languages = candidates(script, target)
        if target in languages and len(languages) > 1:
            found.add(languages)
    return found


Request = tuple[str, str | None, str | None]  # (completion, target, prompt)


def score_language_batch(requests: list[Request], think_tag: str) -> list[ComponentScore | ItemError]:
    """`score_language` over several items in one pool task; an item's ItemError is its result."""
    results: list[ComponentScore | ItemError] = []
    for completion, target, prompt in requests:
        try:
            results.append(score_language(completion, target=target, prompt=prompt, think_tag=think_tag))
        except ItemError as exc:
            results.append(exc)
    return results


class LanguageComponent:
    """Scores items on the CPU pool in chunks: one pool round trip costs about what scoring a
    completion does, so items travel in chunks sized to keep every worker busy. When the prompt
    ends with the opening think tag, the completion is judged as the inside of that block.

    The time budget stays per item: a chunk gets one item's budget (a healthy chunk of 64 takes
    well under a tenth of it); a chunk that overruns (or whose worker dies) is scored again item by
    item, each with the full budget, so only the item that really overran gets the `timeout`
    failure (`cpu_pool.CpuPool.run_item` classes every failure).
    """

    name = "language"

    def __init__(
        self, pool: CpuPool, timeout_s: float, think_tag: str = "think", max_chunk: int = 64
    ) -> None:
        self.pool, self.timeout_s, self.think_tag, self.max_chunk = pool, timeout_s, think_tag, max_chunk
        # What every worker loads at start (`reward.warm_up`).
        self._loaded: set[frozenset[str]] = _candidate_sets("en")

    async def _load_models(self, items: Sequence[ScoreItem]) -> None:
        """Before the first batch with a new target (Ukrainian, Arabic, Norwegian...), every
        worker loads its models without a budget: loading takes seconds, and charged to an item it
        would fail that item and every one after it in a fresh worker."""
        targets: set[str] = set()
        for item in items:
            if item.language is not None:
                try:
                    targets.add(normalize_language(item.language))
                except ItemError:
                    continue  # the item reports its bad code when it is scored
        new = {target: _candidate_sets(target) - self._loaded for target in targets}
        load = tuple(sorted(target for target, sets in new.items() if sets))
        if load:
            await asyncio.gather(
                *(self.pool.run(load_detectors, load, timeout_s=None) for _ in range(self.pool.workers))
            )
            for sets in new.values():
                self._loaded.update(sets)

    def _forget_loaded(self) -> None:
        # The pool replaced a worker, which starts with the warm-up's models only: the next batch
        # loads the others again (microseconds in the workers that still have them).
        self._loaded = _candidate_sets("en")

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        await self._load_models(items)
        requests: list[Request] = [
            (
                with_prefilled_think(item.prompt, completion_text(item.completion), self.think_tag)[0],
                item.language,
                prompt_text(item.prompt) or None,
            )
            for item in items
        ]
        # Four chunks per worker balance uneven chunks without paying a round trip per item.
        size = max(1, min(self.max_chunk, -(-len(requests) // (4 * self.pool.workers))))
        chunks = [requests[start : start + size] for start in range(0, len(requests), size)]
        scored = await asyncio.gather(*(self._chunk(chunk) for chunk in chunks))
        return [result for chunk_results in scored for result in chunk_results]

    async def _chunk(self, chunk: list[Request]) -> list[ComponentScore | ItemError]:
        scored = await self.pool.run_item(
            score_language_batch, chunk, self.think_tag, timeout_s=self.timeout_s, what="language check"
        )
        if not isinstance(scored, ItemError):
            return scored
        if scored.failure in (Failure.TIMEOUT, Failure.WORKER_CRASH):
            self._forget_loaded()
        if len(chunk) == 1:
            return [scored]
        retried = await asyncio.gather(*(self._chunk([request]) for request in chunk))
        return [result for results in retried for result in results]
