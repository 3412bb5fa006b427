"""What the peer protocols share: labels → tasks, and samples that become one or more score items.

A peer sends one label per sample: a gold answer (string or number), a list of gold answers (any of
them is right), a task object or a JSON task. A sample with several gold answers is scored once per
answer and keeps the best verdict, so `Candidate.sample` says which sample an item belongs to.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import StrictFloat, StrictInt, StrictStr, ValidationError

from reward_server.schemas import ScoreItem, ScoreResult

Answer = StrictStr | StrictInt | StrictFloat  # strict: a JSON `true` is no gold answer, not 1
Label = Answer | list[Answer] | dict[str, Any] | None


class LabelError(ValueError):
    """A label that names no task this server knows; the message says what a label may be."""


@dataclass(frozen=True)
class Candidate:
    """One `/v1/score` item for sample `sample` (several when the label lists several answers)."""

    sample: int
    item: dict[str, Any]


def label_tasks(label: Label) -> list[dict[str, Any]]:
    """The task(s) a label stands for: one per gold answer it lists.

    >>> label_tasks("4"), label_tasks(4), label_tasks(["4", "four"])[1]
    ([{'type': 'math', 'answer': '4'}], [{'type': 'math', 'answer': '4'}], {'type': 'math', 'answer': 'four'})
    >>> label_tasks(None), label_tasks("")
    ([{'type': 'none'}], [{'type': 'none'}])

    None or an empty string (OpenRLHF's label when no `--data.label_key` is set) is "no task":
    only components that need none (format, language, reward models) can score it.
    Raises LabelError for a boolean, a non-finite number, an empty list or a dict without `type`.
    """
    if label is None:
        return [{"type": "none"}]
    if isinstance(label, list):
        if not label:
            raise LabelError("an empty list names no gold answer; give one or more answers")
        return [task for answer in label for task in _answer_tasks(answer)]
    if isinstance(label, dict):
        if "type" not in label:
            raise LabelError(f"a task object needs a 'type' field, got keys {sorted(label)}")
        return [label]
    return _answer_tasks(label)


def _answer_tasks(label: str | int | float) -> list[dict[str, Any]]:
    if isinstance(label, bool) or not isinstance(label, str | int | float):
        raise LabelError(f"a gold answer is a string or a number, not {type(label).__name__}")
    if isinstance(label, float) and not math.isfinite(label):
        raise LabelError("a numeric gold answer must be finite")
    if isinstance(label, int | float):
        return [{"type": "math", "answer": _number_text(label)}]
    stripped = label.strip()
    if not stripped:
        return [{"type": "none"}]
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None  # a LaTeX set such as {1, 2} is an answer, not JSON
        if isinstance(parsed, dict) and "type" in parsed:
            return [parsed]
    return [{"type": "math", "answer": label}]


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # 42.0 from a float column is the answer 42
    return repr(value)


def validate_candidates(
    candidates: Sequence[Candidate], where: Callable[[int], str]
) -> tuple[list[ScoreItem], list[Candidate], dict[int, str]]:
    """Split candidates into valid score items (with their candidates) and per-sample errors.

    `where(sample)` names the sample's field in the peer's request, for the error message.
    """
    items: list[ScoreItem] = []
    kept: list[Candidate] = []
    errors: dict[int, str] = {}
    for candidate in candidates:
        try:
            items.append(ScoreItem.model_validate(candidate.item))
            kept.append(candidate)
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(part) for part in first.get("loc", ()))
            errors.setdefault(candidate.sample, f"{where(candidate.sample)}: {path}: {first['msg']}")
    return items, kept, errors


def best_per_sample(
    count: int,
    candidates: Sequence[Candidate],
    results: Sequence[ScoreResult],
    errors: Mapping[int, str],
) -> list[ScoreResult]:
    """One result per sample: the best of its candidates' results.

    Best = the highest accuracy, then the highest reward. A sample none of whose candidates is
    judged right but one of which failed keeps that failure: its 0 would not be a verdict.
    """
    by_sample: dict[int, list[ScoreResult]] = {}
    for candidate, result in zip(candidates, results, strict=True):
        by_sample.setdefault(candidate.sample, []).append(result)
    chosen: list[ScoreResult] = []
    for sample in range(count):
        options = by_sample.get(sample, [])
        if sample in errors or not options:
            message = errors.get(sample, "no item was scored for this sample")
            chosen.append(ScoreResult(id=str(sample), reward=None, error=message))
            continue
        right = [r for r in options if r.error is None and r.scores.get("accuracy", 0.0) >= 1.0]
        failed = [r for r in options if r.error is not None]
        if right or not failed:
            pool = right or options
            best = max(pool, key=lambda r: (r.scores.get("accuracy", 0.0), r.reward or 0.0))
        else:
            best = failed[0]
        chosen.append(best.model_copy(update={"id": str(sample)}))
    return chosen
