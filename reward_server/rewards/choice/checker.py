"""`check_choice` and `ChoiceChecker`: the multiple-choice checker of the accuracy component."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from reward_server.rewards.base import ComponentScore, Failure, ItemError
from reward_server.rewards.choice.extraction import extract_choice
from reward_server.rewards.text import completion_text, with_prefilled_think
from reward_server.schemas import ChoiceTask, ScoreItem

log = logging.getLogger(__name__)

__all__ = ["ChoiceChecker", "check_choice"]

# Longer completions are read only at their end: the answer is stated last, and the reading stays
# bounded whatever a policy emits (extraction is linear, but an RL batch has thousands of items).
MAX_READ_CHARS = 20_000


def check_choice(
    completion: str,
    answer: str,
    letters: Sequence[str],
    options: Mapping[str, str] | None = None,
    *,
    answer_tag: str = "answer",
    think_tag: str = "think",
) -> ComponentScore:
    """1.0 when the completion commits to the gold letter `answer`, else 0.0, with why in `details`.

    `details`: `extracted` (the letter, a list of letters for a hedge, or None), `extracted_from`
    (where it was found: see `extract_choice`), `gold`, `answer_kind: "letter"` (maj@n votes compare
    letters exactly), and `status`: "correct", "wrong", or why nothing is committed: "unfinished" (the
    think block never closes), "no_answer", "hedged" (two different letters offered), "retracted".

    >>> check_choice("</think>The answer is **(C)**.", "C", "ABCD").score
    1.0
    >>> check_choice("</think>Either B or D.", "B", "ABCD").details["status"]
    'hedged'
    """
    completion = _bounded(completion, think_tag)
    found = extract_choice(completion, letters, options, answer_tag=answer_tag, think_tag=think_tag)
    details: dict[str, object] = {
        "extracted": found.letter,
        "extracted_from": found.source,
        "gold": answer,
        "answer_kind": "letter",
    }
    if found.superseded:
        details["superseded"] = list(found.superseded)
    if found.notes:
        details["notes"] = list(found.notes)
    if found.hedged:
        details["extracted"] = list(found.letters)
        details["status"] = "hedged"
        return ComponentScore(0.0, details)
    if found.letter is None:
        details["status"] = found.source if found.source in ("unfinished", "retracted") else "no_answer"
        return ComponentScore(0.0, details)
    details["status"] = "correct" if found.letter == answer else "wrong"
    return ComponentScore(1.0 if found.letter == answer else 0.0, details)


def _bounded(completion: str, think_tag: str) -> str:
    """At most `MAX_READ_CHARS` of the committed text, read as the whole would be: the end of what
    follows the first `</think>` (up to a stray second one), and an unclosed think block stays open."""
    if len(completion) <= MAX_READ_CHARS:
        return completion
    open_tag, close_tag = f"<{think_tag}>", f"</{think_tag}>"
    close = completion.find(close_tag)
    if close >= 0:
        after = completion[close + len(close_tag) :]
        stray = after.find(close_tag)
        return close_tag + (after if stray < 0 else after[:stray])[-MAX_READ_CHARS:]
    tail = completion[-MAX_READ_CHARS:]
    return open_tag + tail if open_tag in completion and open_tag not in tail else tail


class ChoiceChecker:
    """Scores `choice` items inline, on the event loop.

    Extraction is linear regex and string work over at most `MAX_READ_CHARS` (math's inline bound,
    `QUICK_MAX_CHARS`): about 0.2-0.3 ms for a real completion (docs/benchmarks.md), less than a
    round trip to the CPU pool costs, and no parser that could run away.
    One item's surprise becomes that item's error; the rest of the batch is scored.
    """

    def __init__(self, answer_tag: str = "answer", think_tag: str = "think") -> None:
        self.answer_tag, self.think_tag = answer_tag, think_tag

    def check(self, item: ScoreItem) -> ComponentScore | ItemError:
        task = item.task
        if not isinstance(task, ChoiceTask) or not isinstance(task.choices, list):
            return ItemError(
                "internal error: a choice item without its letters", failure=Failure.INTERNAL_ERROR
            )
        options = task.options if isinstance(task.options, dict) else None
        try:
            # A prompt that opens the think block (R1 / Qwen3 templates) makes the completion start inside it.
            text, _ = with_prefilled_think(item.prompt, completion_text(item.completion), self.think_tag)
            return check_choice(
                text,
                task.answer,
                task.choices,
                options,
                answer_tag=self.answer_tag,
                think_tag=self.think_tag,
            )
        except Exception as exc:  # noqa: BLE001 - one item's failure must not fail the batch
            log.exception("choice check failed")
            return ItemError(
                f"choice check failed: {type(exc).__name__}: {exc}", failure=Failure.INTERNAL_ERROR
            )

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        return [self.check(item) for item in items]
