"""POST /v1/score: a batch of completions in, one reward per completion out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from reward_server import metrics
from reward_server.disconnect import cancel_on_disconnect
from reward_server.pipeline import validate_batch_size
from reward_server.routes.deps import get_services
from reward_server.schemas import ScoreRequest, ScoreResponse
from reward_server.services import Services

router = APIRouter(prefix="/v1", tags=["score"])


@router.post("/score", response_model=ScoreResponse)
async def score(
    request: ScoreRequest, http: Request, services: Annotated[Services, Depends(get_services)]
) -> ScoreResponse:
    """Score every item; results come back in item order, each with its reward, scores, details and error.
    A client that disconnects has its batch cancelled (queued sandbox runs and queue jobs included)."""
    validate_batch_size(request.items, services.settings.max_batch_items)
    results = await cancel_on_disconnect(http, services.backend.score(request))
    metrics.record_results(results)
    return ScoreResponse(results=results)
