"""GET /metrics: this process's Prometheus metrics, in the text exposition format."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from reward_server import metrics
from reward_server.routes.deps import get_services
from reward_server.services import Services

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/metrics", response_class=Response)
async def prometheus_metrics(services: Annotated[Services, Depends(get_services)]) -> Response:
    # `serve --redis-url` puts a JobQueue on the services: its depth and live workers are read per scrape.
    queue = getattr(services, "queue", None)
    if queue is not None:
        try:
            metrics.set_queue_depth(await queue.queued_items())
            metrics.set_live_workers(await queue.live_workers())
            metrics.set_busy_workers(await queue.busy_workers())
        except Exception as exc:  # Redis down: stale gauges, and the scrape still answers
            log.warning("queue gauges not refreshed: %s", exc)
    for hook in services.scrape_hooks:
        try:
            await hook()  # e.g. the queue refreshing its depth and busy-worker gauges
        except Exception:  # a failing refresher leaves its gauges stale; the scrape still answers
            log.exception("metrics scrape hook %r failed", hook)
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE_LATEST)
