"""`check_choice` and `ChoiceChecker`: the multiple-choice checker of the accuracy component."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reward_server.rewards.base import ComponentScore, ItemError
from reward_server.rewards.choice.extraction import extract_choice
from reward_server.rewards.text import completion_text
from reward_server.schemas import ChoiceTask, ScoreItem

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
    letters exactly), and `status` when nothing is committed: "unfinished" (the think block never
    closes), "no_answer", "hedged" (two different letters offered), "retracted".

    >>> check_choice("</think>The answer is **(C)**.", "C", "ABCD").score
    1.0
    >>> check_choice("</think>Either B or D.", "B", "ABCD").details["status"]
    'hedged'
    """
    if len(completion) > MAX_READ_CHARS:
        close = completion.rfind(f"</{think_tag}>")
        completion = completion[-MAX_READ_CHARS:] if close < 0 else completion[close:][-MAX_READ_CHARS:]
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
    return ComponentScore(1.0 if found.letter == answer else 0.0, details)


class ChoiceChecker:
    """Scores `choice` items inline, on the event loop.

    Extraction is linear regex and string work over a bounded window (`MAX_READ_CHARS`): tens of
    microseconds per item, less than one round trip to the CPU pool costs (cf. `FormatComponent`).
    One item's surprise becomes that item's error; the rest of the batch is scored.
    """

    def __init__(self, answer_tag: str = "answer", think_tag: str = "think") -> None:
        self.answer_tag, self.think_tag = answer_tag, think_tag

    def check(self, item: ScoreItem) -> ComponentScore | ItemError:
        task = item.task
        if not isinstance(task, ChoiceTask) or task.choices is None:
            return ItemError("internal error: a choice item without its letters")
        options = task.options if isinstance(task.options, dict) else None
        try:
            return check_choice(
                completion_text(item.completion),
                task.answer,
                task.choices,
                options,
                answer_tag=self.answer_tag,
                think_tag=self.think_tag,
            )
        except Exception as exc:  # noqa: BLE001 - one item's failure must not fail the batch
            return ItemError(f"choice check failed: {type(exc).__name__}: {exc}")

    async def score(self, items: Sequence[ScoreItem]) -> list[ComponentScore | ItemError]:
        return [self.check(item) for item in items]
