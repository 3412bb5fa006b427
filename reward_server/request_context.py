"""Outermost middleware: a request id (X-Request-ID in and out), one access log line, the latency metric."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reward_server import metrics
from reward_server.logs import request_id_var

log = logging.getLogger("reward_server.access")

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is reused (so a trainer can correlate its own logs) only when it is short and plain.
_ACCEPTABLE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def incoming_request_id(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])  # ASGI: (lower-case name, value)
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _ACCEPTABLE_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = incoming_request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                message = {**message, "headers": [*headers, (REQUEST_ID_HEADER, request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_s = time.perf_counter() - started
            route = scope.get("route")
            # The route template, not the raw path: unmatched paths must not create one series each.
            template = getattr(route, "path", None) or "unmatched"
            metrics.observe_request(scope["method"], template, status, duration_s)
            if scope["path"] not in (
                "/healthz",
                "/livez",
                "/metrics",
            ):  # probes every few seconds would drown the log
                log.info(
                    "%s %s %d %.1fms",
                    scope["method"],
                    scope["path"],
                    status,
                    duration_s * 1000,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(duration_s * 1000, 2),
                    },
                )
            request_id_var.reset(token)
