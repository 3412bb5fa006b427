"""POST /remote_rm: slime's remote reward model (translation in `protocols.slime`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from reward_server.errors import RequestError
from reward_server.protocols import slime
from reward_server.routes._samples import score_samples
from reward_server.routes.deps import get_services
from reward_server.schemas import ScoreResult
from reward_server.services import Services

router = APIRouter(tags=["slime"])


async def _score(request: slime.SlimeRewardRequest, services: Services) -> ScoreResult:
    candidates, errors = slime.candidates(request)
    [result] = await score_samples(services, 1, candidates, errors, None, where=lambda _: "body", part=None)
    return result


@router.post("/remote_rm")
async def remote_rm(
    request: slime.SlimeRewardRequest, services: Annotated[Services, Depends(get_services)]
) -> float:
    """The sample's reward as a bare number; 422 with the reason when it cannot be scored."""
    result = await _score(request, services)
    if result.reward is None:
        raise RequestError(("body",), result.error or "the sample could not be scored")
    return result.reward


@router.post("/remote_rm/details", response_model=slime.SlimeRewardDetails)
async def remote_rm_details(
    request: slime.SlimeRewardRequest, services: Annotated[Services, Depends(get_services)]
) -> slime.SlimeRewardDetails:
    """``{"reward", "scores", "error"}`` (use slime's ``--reward-key reward``); reward null on error."""
    result = await _score(request, services)
    return slime.SlimeRewardDetails(reward=result.reward, scores=result.scores, error=result.error)
