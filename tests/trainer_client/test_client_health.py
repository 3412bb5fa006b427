"""A training run must never train on nothing: the client's start check and its watch on unscored calls.

Driven over real sockets: a port nobody listens on, a stand-in server whose `/healthz` and
`/v1/score` this file controls, and the TRL / verl adapters, which get the same rule from the client.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from tests.support.fake_scorer import FakeScorer, fake_scorers
from trainer_client import (
    RetryPolicy,
    RewardClient,
    RewardServiceUnavailable,
    compute_score_batch,
    make_trl_reward,
)

FAST_RETRY = RetryPolicy(max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.02)


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeScorer]]:
    with fake_scorers() as start:
        yield start


@pytest.fixture
def dead_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def always_503(request: Request, body: dict[str, Any]) -> Response:
    return Response("scoring backend down", status_code=503)


def items(n: int) -> list[dict[str, Any]]:
    return [{"completion": "x" * i, "task": {"type": "none"}} for i in range(n)]


async def test_refused_connection_fails_the_first_call_at_once_naming_the_url(dead_url: str) -> None:
    async with RewardClient(dead_url, timeout_s=300) as client:
        started = time.monotonic()
        with pytest.raises(RewardServiceUnavailable, match="cannot reach reward-server at") as caught:
            await client.ascore(items(2))
    assert time.monotonic() - started < 10, "must not wait out the retries and the 300 s deadline"
    assert dead_url in str(caught.value) and "port" in str(caught.value)


def test_check_says_why_the_service_cannot_score(fake_server: Any) -> None:
    server = fake_server()
    server.ready = False
    with RewardClient(server.url) as client, pytest.raises(RewardServiceUnavailable) as caught:
        client.check()
    assert f"reward-server at {server.url} cannot score" in str(caught.value)
    assert "503" in str(caught.value) and "not ready (test)" in str(caught.value)


def test_the_start_check_runs_once(fake_server: Any) -> None:
    server = fake_server()
    with RewardClient(server.url) as client:
        client.score(items(1))
        client.score(items(1))
    assert server.health_checks == 1


@pytest.mark.parametrize("route", ["/v1/score", "/get_reward", "/healthz"])
def test_a_route_instead_of_the_base_url_says_pass_the_base_url(route: str) -> None:
    with pytest.raises(ValueError, match=r"pass the base URL \(http://host:8000\)"):
        RewardClient(f"http://host:8000{route}")


def test_a_url_without_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        RewardClient("localhost:8000")


async def test_a_mostly_unscored_call_is_a_warning(
    fake_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = fake_server(always_503)
    with caplog.at_level(logging.WARNING, logger="trainer_client"):
        async with RewardClient(server.url, timeout_s=5, retry=FAST_RETRY) as client:
            results = await client.ascore(items(3))
    assert all(r["reward"] is None for r in results)
    (record,) = [r for r in caplog.records if r.name == "trainer_client"]
    assert f"reward-server at {server.url} left 3 of 3 samples unscored" in record.getMessage()
    assert "503" in record.getMessage()


async def test_calls_with_nothing_scored_stop_the_run_after_the_limit(fake_server: Any) -> None:
    failing = {"on": True}

    async def maybe_503(request: Request, body: dict[str, Any]) -> Response | None:
        return Response("down", status_code=503) if failing["on"] else None

    server = fake_server(maybe_503)
    async with RewardClient(server.url, timeout_s=5, retry=FAST_RETRY, max_unscored_calls=2) as client:
        await client.ascore(items(2))  # first unscored call: a warning
        failing["on"] = False
        assert [r["reward"] for r in await client.ascore(items(2))] == [0.0, 1.0]  # resets the count
        failing["on"] = True
        await client.ascore(items(2))
        with pytest.raises(RewardServiceUnavailable, match="no sample scored in the last 2 calls"):
            await client.ascore(items(2))


async def test_trl_reward_function_fails_on_its_first_step_when_the_service_is_down(dead_url: str) -> None:
    reward = make_trl_reward(dead_url)
    with pytest.raises(RewardServiceUnavailable, match=dead_url):
        await reward(prompts=["p"], completions=["a"], completion_ids=[[1]])


async def test_trl_run_stops_after_steps_with_nothing_scored(fake_server: Any) -> None:
    server = fake_server(always_503)
    reward = make_trl_reward(server.url, timeout_s=5, retry=FAST_RETRY, max_unscored_calls=2)
    assert await reward(prompts=["p"], completions=["a"], completion_ids=[[1]]) == [None]
    with pytest.raises(RewardServiceUnavailable, match="no sample scored in the last 2 calls"):
        await reward(prompts=["p"], completions=["a"], completion_ids=[[1]])
    await reward.client.aclose()  # type: ignore[attr-defined]


def test_verl_fails_on_its_first_step_when_the_service_is_down(dead_url: str) -> None:
    with pytest.raises(RewardServiceUnavailable, match=dead_url):
        compute_score_batch(["d"], ["x"], ["1"], base_url=dead_url, timeout_s=30)


def test_verl_run_stops_after_three_steps_with_nothing_scored(fake_server: Any) -> None:
    server = fake_server(always_503)
    step = (["d"], ["x"], ["1"])
    assert compute_score_batch(*step, base_url=server.url, timeout_s=0.5) == [0.0]
    assert compute_score_batch(*step, base_url=server.url, timeout_s=0.5) == [0.0]
    with pytest.raises(RewardServiceUnavailable, match="no sample scored in the last 3 calls"):
        compute_score_batch(*step, base_url=server.url, timeout_s=0.5)
