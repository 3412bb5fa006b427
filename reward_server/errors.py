"""The service's exceptions and the one place they become HTTP answers.

Domain code raises errors that carry data and name no HTTP status or header (`BatchTooLarge`,
`UnknownReward` here; `sandboxes.SandboxError` for the sandbox; a subpackage's own errors derive
from `Refused`, which says in the service's terms how a request is refused); `http_error` maps
each to the `RequestError` or `ServiceUnavailable` it is answered with, and the handlers installed
by `install_error_handlers` send that answer. Imports point one way: subpackages (the queue)
import this module, never the reverse, so `Refused` carries what the mapping needs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from enum import StrEnum
from typing import ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import Send

from sandboxes import SandboxError, UnsafeFileName, UnsupportedLanguage

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


class Refusal(StrEnum):
    """How the service says no to a request; `http_error` alone turns each into an HTTP status."""

    INVALID = "invalid"  # the request asks for what cannot be done (422)
    NOT_FOUND = "not_found"  # it names something that is not there: never was, or expired (404)
    CONFLICT = "conflict"  # it asks for a change its target's state no longer allows (409)
    BUSY = "busy"  # the service is full now: retry after `retry_after_s` (429 with Retry-After)


class Refused(RewardServerError):
    """Base of a subpackage's errors that refuse a request (the queue's `QueueError`).

    A subclass sets `refusal` (how), `subject` (the request input at fault, as a location such as
    ``("path", "job_id")`` or ``("header", "Idempotency-Key")``; empty: the request as a whole) and,
    for `Refusal.BUSY`, `retry_after_s` (seconds to wait before retrying).
    """

    refusal: ClassVar[Refusal] = Refusal.INVALID
    subject: ClassVar[tuple[str | int, ...]] = ()
    retry_after_s: float = 1.0


_REFUSAL_STATUS = {Refusal.INVALID: 422, Refusal.NOT_FOUND: 404, Refusal.CONFLICT: 409, Refusal.BUSY: 429}


class BatchTooLarge(RewardServerError):
    """`count` items (samples, groups) in one request, over the server's `limit`; `part` names the
    request part that holds them (``items``, ``query``, ``groups``; None: the whole body)."""

    def __init__(self, count: int, limit: int, part: str | None = "items") -> None:
        super().__init__(f"{count} items exceed this server's limit of {limit}; split the batch")
        self.count, self.limit, self.part = count, limit, part


class UnknownReward(RewardServerError):
    """A weight names reward `name`, which this server cannot compute (`reason` says why); `item`
    is the index of the item whose own weights name it, None for the batch's; `part` is the
    request part holding those weights (``rewards``; /v1/rank also has ``filters``)."""

    def __init__(self, name: str, reason: str, item: int | None = None, part: str = "rewards") -> None:
        super().__init__(reason)
        self.name, self.item, self.part = name, item, part

    def shifted(self, offset: int) -> UnknownReward:
        """The same error for a batch in which this one's items start at `offset` (a queue chunk)."""
        item = None if self.item is None else self.item + offset
        return UnknownReward(self.name, self.message, item, self.part)


def http_error(exc: Exception) -> RewardServerError:
    """The HTTP answer to a domain error: a `RequestError` (status, field) or a `ServiceUnavailable`
    (status, Retry-After); any other `RewardServerError` as it is (its own status, no field)."""
    match exc:
        case BatchTooLarge():
            return PayloadTooLarge(("body",) if exc.part is None else ("body", exc.part), exc.message)
        case UnknownReward():
            where = ("body",) if exc.item is None else ("body", "items", exc.item)
            return RequestError((*where, exc.part, exc.name), exc.message)
        case Refused(refusal=Refusal.BUSY):
            message = f"{exc.message}; retry after the Retry-After delay"
            status = _REFUSAL_STATUS[exc.refusal]
            return ServiceUnavailable(message, retry_after_s=exc.retry_after_s, status_code=status)
        case Refused():
            return RequestError(exc.subject, exc.message, status_code=_REFUSAL_STATUS[exc.refusal])
        case UnsupportedLanguage():
            return RequestError(("body", "language"), str(exc))
        case UnsafeFileName():
            return RequestError(("body", exc.part), str(exc))
        case RewardServerError():
            return exc
    return RewardServerError(f"internal error: {type(exc).__name__}: {exc}")


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


def _answer(request: Request, error: Exception) -> JSONResponse:
    exc = http_error(error)
    if isinstance(exc, RequestError):
        return JSONResponse(error_body(exc.field, exc.message, "request_error"), status_code=exc.status_code)
    if isinstance(exc, ServiceUnavailable):
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
    return JSONResponse(error_body([], exc.message, "server_error"), status_code=exc.status_code)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RewardServerError)
    async def _service_error(request: Request, exc: RewardServerError) -> JSONResponse:
        return _answer(request, exc)

    @app.exception_handler(SandboxError)
    async def _sandbox_error(request: Request, exc: SandboxError) -> JSONResponse:
        return _answer(request, exc)

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
