"""Language consistency (DeepSeek-R1): the share of the chain of thought in the target language."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from reward_server.cpu_pool import CpuPool, WorkerCrashed
from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.text import completion_text, prompt_text, think_text
from reward_server.schemas import ScoreItem

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import LanguageDetectorBuilder

    # Models load lazily per language: building with every model preloaded takes seconds per process.
    return LanguageDetectorBuilder.from_all_languages().build()


def warm_up() -> None:
    _detector()


def _iso(language: Any) -> str:
    return str(language.iso_code_639_1.name).lower()


def score_language(
    completion: str, *, target: str | None, prompt: str | None, think_tag: str = "think"
) -> ComponentScore:
    """Share of the chain of thought's words written in `target` (else the prompt's language)."""
    detector = _detector()
    detected = False
    if target is None:
        found = detector.detect_language_of(prompt or "")
        if found is None:
            raise ItemError(
                "no target language: give the item a `language` (ISO 639-1) or a prompt to detect it from"
            )
        target, detected = _iso(found), True
    text = think_text(completion, think_tag)
    units: dict[str, int] = {}
    for sentence in re.split(r"(?<=[.!?。！？\n])", text):
        words = _WORD.findall(sentence)
        if not words:
            continue
        found = detector.detect_language_of(sentence)
        key = _iso(found) if found is not None else "unknown"
        units[key] = units.get(key, 0) + len(words)
    total = sum(units.values())
    share = units.get(target.lower(), 0) / total if total else 0.0
    return ComponentScore(share, {"target": target, "target_detected": detected, "units": units})


class LanguageComponent:
    name = "language"

    def __init__(self, pool: CpuPool, timeout_s: float, think_tag: str = "think") -> None:
        self.pool, self.timeout_s, self.think_tag = pool, timeout_s, think_tag

    async def _one(self, item: ScoreItem) -> ComponentScore | ItemError:
        try:
            return await self.pool.run(
                _score,
                completion_text(item.completion),
                item.language,
                prompt_text(item.prompt),
                self.think_tag,
                timeout_s=self.timeout_s,
            )
        except TimeoutError:
            return ItemError(f"exceeded the {self.timeout_s} s budget")
        except WorkerCrashed as exc:
            return ItemError(str(exc))
        except ItemError as exc:
            return exc

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        return list(await asyncio.gather(*(self._one(item) for item in items)))


def _score(completion: str, target: str | None, prompt: str | None, think_tag: str) -> ComponentScore:
    return score_language(completion, target=target, prompt=prompt, think_tag=think_tag)
