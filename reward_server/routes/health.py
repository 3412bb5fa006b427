"""GET /healthz: 200 when this process can score."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from reward_server.routes.deps import get_services
from reward_server.services import Services

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(services: Annotated[Services, Depends(get_services)]) -> JSONResponse:
    ok = services.backend is not None and services.cpu_pool.running
    body: dict[str, Any] = {**services.health}
    if services.sandbox is not None:  # live pool counts, not the snapshot taken at start
        body["sandbox"] = services.sandbox.health()
        # A pool left without a container it can trust (and unable to start one) cannot score code.
        ok = ok and body["sandbox"].get("status", "ok") != "unavailable"
    if services.queue is not None:  # Redis reachability and live workers, asked now
        body.update(await services.queue.health())
        ok = ok and body["queue"]["reachable"]
    body = {"status": "ok" if ok else "unavailable", **body}
    return JSONResponse(body, status_code=200 if ok else 503)
