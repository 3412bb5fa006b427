"""POST /v1/rank: rejection sampling — order each group's completions by reward, keep the best."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from reward_server.ranking import RankRequest, RankResponse, rank
from reward_server.routes.deps import get_services
from reward_server.services import Services

router = APIRouter(prefix="/v1", tags=["rank"])


@router.post("/rank", response_model=RankResponse)
async def rank_completions(
    request: RankRequest, services: Annotated[Services, Depends(get_services)]
) -> RankResponse:
    """Per group: completions that pass the filters (when the group has a task), ordered by the
    ranking reward (default `model`), with their scores, and the indices of the best `top_k`."""
    return await rank(request, services.backend, max_batch_items=services.settings.max_batch_items)
