"""Scoring for the peer-protocol routes: their samples become score items, one result per sample."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from reward_server import metrics
from reward_server.outcomes import Failure
from reward_server.pipeline import validate_batch_size
from reward_server.protocols.samples import Candidate, best_per_sample, validate_candidates
from reward_server.schemas import ScoreRequest, ScoreResult
from reward_server.services import Services


async def score_samples(
    services: Services,
    count: int,
    candidates: Sequence[Candidate],
    errors: Mapping[int, str],
    rewards: Mapping[str, float] | None,
    where: Callable[[int], str],
    part: str | None,
) -> list[ScoreResult]:
    """One result per sample (best of its candidates); a sample that cannot be scored gets its error.

    `BatchTooLarge` naming `part` (None: the whole body) when the candidates exceed the batch limit.
    """
    validate_batch_size(candidates, services.settings.max_batch_items, part)
    items, kept, invalid = validate_candidates(candidates, where)
    all_errors = {**invalid, **errors}
    results: list[ScoreResult] = []
    if items:
        weights = dict(rewards) if rewards is not None else None
        results = await services.backend.score(ScoreRequest(items=items, rewards=weights))
    chosen = best_per_sample(count, kept, results, all_errors)
    # The only errors naming no component's failure are samples that never became a score item: a
    # label that is no task, an item that fails validation. Those are the sample's own fault.
    metrics.record_results(chosen, unclassified=Failure.INVALID_ITEM)
    return chosen
