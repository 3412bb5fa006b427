"""What the peer protocols share: labels → tasks, and samples that become one or more score items.

A peer sends one label per sample: a gold answer (string or number), a list of gold answers (any of
them is right), a task object or a JSON task. Which task a label stands for is `trainer_client.labels`'
rule (one rule for the trainer adapters and the protocol routes), re-exported here. A sample with
several gold answers is scored once per answer and keeps the best verdict, so `Candidate.sample` says
which sample an item belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import StrictFloat, StrictInt, StrictStr, ValidationError

from reward_server.schemas import ScoreItem, ScoreResult
from trainer_client.labels import LabelError, label_tasks

__all__ = [
    "Answer",
    "Candidate",
    "Label",
    "LabelError",
    "best_per_sample",
    "label_tasks",
    "validate_candidates",
]

Answer = StrictStr | StrictInt | StrictFloat  # strict: a JSON `true` is no gold answer, not 1
Label = Answer | list[Answer] | dict[str, Any] | None


@dataclass(frozen=True)
class Candidate:
    """One `/v1/score` item for sample `sample` (several when the label lists several answers)."""

    sample: int
    item: dict[str, Any]


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
