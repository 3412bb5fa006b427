"""POST /verify: a NeMo-Gym resources server's verify call (translation in `protocols.nemo_gym`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from reward_server.protocols import nemo_gym
from reward_server.routes._samples import score_samples
from reward_server.routes.deps import get_services
from reward_server.services import Services

router = APIRouter(tags=["nemo-gym"])


@router.post("/verify")
async def verify(
    request: nemo_gym.NeMoGymVerifyRequest, services: Annotated[Services, Depends(get_services)]
) -> dict[str, Any]:
    """The request back with `reward` (and `reward_components`, `reward_error`)."""
    candidates, errors = nemo_gym.candidates(request)
    [result] = await score_samples(
        services, 1, candidates, errors, request.rewards, where=lambda _: "body", part=None
    )
    weights = request.rewards if request.rewards is not None else services.settings.default_rewards
    return nemo_gym.verify_response(request, result, weights)
