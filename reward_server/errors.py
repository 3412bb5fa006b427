"""The service's exceptions and the one place they become HTTP answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import Send

log = logging.getLogger(__name__)


class RewardServerError(Exception):
    """Base of every error the service raises on purpose."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RequestError(RewardServerError):
    """The request asks for something this server cannot do; `field` is the path to the culprit."""

    status_code = 422

    def __init__(self, field: Sequence[str | int], message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.field = tuple(field)
        if status_code is not None:
            self.status_code = status_code

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.field))}: {self.message}"


class PayloadTooLarge(RequestError):
    status_code = 413


class ServiceUnavailable(RewardServerError):
    """The service cannot take work now; clients should retry after `retry_after_s`."""

    status_code = 503

    def __init__(self, message: str, *, retry_after_s: float = 1.0, status_code: int = 503) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.status_code = status_code


def error_body(field: Sequence[str | int], message: str, kind: str) -> dict[str, object]:
    """FastAPI's validation-error shape, so clients parse every 4xx the same way."""
    return {"detail": [{"loc": list(field), "msg": message, "type": kind}]}


async def send_error(
    send: Send,
    status: int,
    field: Sequence[str | int],
    message: str,
    kind: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer from ASGI middleware (before any route runs) with the same body the exception handlers send."""
    body = json.dumps(error_body(field, message, kind)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def _request_error(_: Request, exc: RequestError) -> JSONResponse:
        return JSONResponse(error_body(exc.field, exc.message, "request_error"), status_code=exc.status_code)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable) -> JSONResponse:
        # The caller sees the reason in the body; the operator sees it here.
        log.warning(
            "%s %s answers %d: %s",
            request.method,
            request.url.path,
            exc.status_code,
            exc.message,
            extra={"status": exc.status_code, "reason": exc.message},
        )
        return JSONResponse(
            error_body([], exc.message, "unavailable"),
            status_code=exc.status_code,
            headers={"Retry-After": str(max(1, round(exc.retry_after_s)))},
        )

    @app.exception_handler(RewardServerError)
    async def _server_error(_: Request, exc: RewardServerError) -> JSONResponse:
        return JSONResponse(error_body([], exc.message, "server_error"), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        # pydantic's errors can carry the offending input (bytes, huge strings); send only what names the fix.
        detail = [
            {
                "loc": list(err.get("loc", ())),
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
            for err in exc.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)
