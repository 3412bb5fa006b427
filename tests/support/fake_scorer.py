"""A `/v1/score` stand-in this test suite controls, served by uvicorn on a free port in a thread.

Used where a test needs to see exactly what a client sent or to make the server misbehave
(429, 503, hangs); behaviour against the real service is tested with a `reward-server` process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Handler = Callable[[Request, dict[str, Any]], Awaitable[Response | None]]


class FakeScorer:
    """Scores reward = len(completion text); `hook` may answer first (429, hang, ...)."""

    def __init__(self, hook: Handler | None = None) -> None:
        self.hook = hook
        self.url = ""
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.ready = True  # what /healthz says
        self.health_checks = 0

    async def endpoint(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.times.append(time.monotonic())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.02)  # long enough for concurrent chunks to overlap
            if self.hook is not None:
                answer = await self.hook(request, body)
                if answer is not None:
                    return answer
            results = []
            for item in body["items"]:
                completion = item["completion"]
                text = completion if isinstance(completion, str) else completion[-1]["content"]
                results.append(
                    {
                        "id": item["id"],
                        "reward": float(len(text)),
                        "scores": {"length": float(len(text))},
                        "details": {},
                        "error": None,
                    }
                )
            return JSONResponse({"results": results})
        finally:
            self.in_flight -= 1

    async def healthz(self, request: Request) -> Response:
        self.health_checks += 1
        return JSONResponse(
            {"status": "ok"} if self.ready else {"status": "unavailable", "reason": "not ready (test)"},
            status_code=200 if self.ready else 503,
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/score", self.endpoint, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
            ]
        )


@contextlib.contextmanager
def serve_in_thread(app: Starlette) -> Iterator[str]:
    """Run `app` under uvicorn on a free port in a daemon thread; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=5)
        sock.close()


@contextlib.contextmanager
def fake_scorers() -> Iterator[Callable[..., FakeScorer]]:
    """Factory for tests: `start(hook)` serves a new FakeScorer until the block ends."""
    with contextlib.ExitStack() as stack:

        def start(hook: Handler | None = None) -> FakeScorer:
            scorer = FakeScorer(hook)
            scorer.url = stack.enter_context(serve_in_thread(scorer.app()))
            return scorer

        yield start
