"""Probes: GET /healthz (ready: this service can score now) and GET /livez (alive: the process answers).

Orchestrators restart a process whose liveness probe fails, and stop sending traffic to one that is
not ready; the two must differ, or a Redis outage would restart every API replica.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from reward_server.routes.deps import get_services
from reward_server.services import Services

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/livez")
async def livez() -> dict[str, str]:
    """200 while the process serves requests, whatever it can score (a liveness probe)."""
    return {"status": "alive"}


@router.get("/healthz")
async def healthz(services: Annotated[Services, Depends(get_services)]) -> JSONResponse:
    """200 when this service can score now; 503 with `reason` when it cannot (a readiness probe).

    With --redis-url that needs Redis to answer and at least one live `reward-server worker`.
    """
    reason = None
    if not services.cpu_pool.running:
        reason = "the scoring services are not running (starting or stopping)"
    body: dict[str, Any] = {**services.health}
    if services.sandbox is not None:  # live pool counts, not the snapshot taken at start
        body["sandbox"] = services.sandbox.health()
        # A pool left without a container it can trust (and unable to start one) cannot score code.
        if body["sandbox"].get("status", "ok") == "unavailable":
            reason = reason or "a sandbox pool has no container and cannot start one (see sandbox.pools)"
    if services.queue is not None:  # Redis reachability and live workers, asked now
        body.update(await services.queue.health())
        queue = body["queue"]
        where = services.queue.where
        if not queue["reachable"]:
            reason = reason or f"the job queue at {where} is unreachable: {queue.get('error', 'no answer')}"
        elif queue["workers"] == 0:
            reason = reason or (
                f"no worker is reading the job queue at {where}; start one with "
                f"`reward-server worker --redis-url {where}`"
            )
    _log_change(services, reason)
    if reason is None:
        return JSONResponse({"status": "ok", **body})
    return JSONResponse({"status": "unavailable", "reason": reason, **body}, status_code=503)


def _log_change(services: Services, reason: str | None) -> None:
    """Log when readiness changes (probes come every few seconds: one line per change, not per probe)."""
    previous = services.health_state.get("reason")
    if reason == previous and "reason" in services.health_state:
        return
    services.health_state["reason"] = reason
    if reason is None:
        if previous is not None:
            log.info("ready: /healthz answers 200 again")
    else:
        log.warning("not ready: /healthz answers 503: %s", reason, extra={"reason": reason})
