"""POST /get_reward: OpenRLHF's remote reward model (`--reward.remote_url http://HOST:PORT/get_reward`).

The translation lives in `reward_server.protocols.openrlhf`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from reward_server.protocols import openrlhf
from reward_server.routes._samples import score_samples
from reward_server.routes.deps import get_services
from reward_server.services import Services

router = APIRouter(tags=["openrlhf"])


@router.post("/get_reward", response_model=openrlhf.OpenRLHFResponse)
async def get_reward(
    request: openrlhf.OpenRLHFRequest,
    services: Annotated[Services, Depends(get_services)],
    on_failure: Annotated[
        Literal["zero", "mask"],
        Query(
            description="a sample without a verdict: 'zero' (score 0.0) or 'mask' (score NaN, so "
            "OpenRLHF's --algo.dynamic_filtering_enable drops its group)"
        ),
    ] = "zero",
) -> Response:
    """One reward per query, in order; a sample that cannot be scored gets 0.0 and `reward_error` 1.0."""
    # finding responses in long queries is pure-Python work: keep it off the event loop
    candidates, errors = await asyncio.to_thread(openrlhf.candidates, request)
    results = await score_samples(
        services,
        len(request.query),
        candidates,
        errors,
        request.rewards,
        where=lambda sample: f"labels.{sample}",
        part="query",
    )
    weights = request.rewards if request.rewards is not None else services.settings.default_rewards
    answer = openrlhf.openrlhf_response(results, weights, mask_failures=on_failure == "mask")
    return Response(openrlhf.render(answer), media_type="application/json")
