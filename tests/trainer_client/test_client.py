"""RewardClient: chunking, concurrency, retries, deadlines and alignment, over real sockets.

The retry and deadline behaviour is driven against small servers this file controls (they answer
429, 503, 413, 422, hang, or are not there at all); `test_against_reward_server` checks the same
client against a real `reward-server serve` process.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.support.fake_scorer import FakeScorer, fake_scorers
from tests.support.reward_server_process import running_reward_server
from trainer_client import RetryPolicy, RewardClient, RewardClientError
from trainer_client._retry import parse_retry_after

FAST_RETRY = RetryPolicy(max_attempts=8, backoff_base_s=0.01, backoff_max_s=0.05)


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeScorer]]:
    """`fake_server(hook)` serves a FakeScorer (reward = len(completion)) on a free port."""
    with fake_scorers() as start:
        yield start


def items(n: int) -> list[dict[str, Any]]:
    return [{"completion": "x" * i, "task": {"type": "none"}} for i in range(n)]


async def test_results_align_with_inputs_across_concurrent_chunks(fake_server: Any) -> None:
    # Each chunk is held at the server until all four have arrived: concurrency is then a fact the
    # test establishes (a client that sent one chunk at a time would time out here), not a race it
    # hopes to win. The order in which concurrent requests arrive is not specified, so sizes are
    # compared as a multiset and alignment is checked on the results.
    arrived: dict[str, Any] = {}

    async def hold_until_all_arrived(request: Request, body: dict[str, Any]) -> Response | None:
        event = arrived.setdefault("event", asyncio.Event())  # created on the server's own loop
        if len(server.requests) == 4:
            event.set()
        await asyncio.wait_for(event.wait(), timeout=30)
        return None

    server = fake_server(hold_until_all_arrived)
    async with RewardClient(server.url, chunk_size=3, max_concurrency=4) as client:
        results = await client.ascore(items(10))
    assert [r["reward"] for r in results] == [float(i) for i in range(10)]
    assert [r["id"] for r in results] == [str(i) for i in range(10)]
    assert sorted(len(body["items"]) for body in server.requests) == [1, 3, 3, 3]
    sent_ids = sorted(int(item["id"]) for body in server.requests for item in body["items"])
    assert sent_ids == list(range(10)), "every item sent exactly once"
    assert server.max_in_flight == 4, "the four chunks should be in flight together"


async def test_caller_ids_and_weights_are_sent_as_given(fake_server: Any) -> None:
    server = fake_server()
    async with RewardClient(server.url, rewards={"accuracy": 1.0}) as client:
        results = await client.ascore([{"id": "a", "completion": "xy"}, {"id": 7, "completion": ""}])
        await client.ascore(items(1), rewards={"format": 0.5})
    assert [r["id"] for r in results] == ["a", "7"]
    assert server.requests[0]["rewards"] == {"accuracy": 1.0}
    assert server.requests[1]["rewards"] == {"format": 0.5}


def test_sync_score_and_submit_use_a_background_loop(fake_server: Any) -> None:
    server = fake_server()
    with RewardClient(server.url) as client:
        future = client.submit(items(3))
        assert [r["reward"] for r in client.score(items(2))] == [0.0, 1.0]
        assert [r["reward"] for r in future.result(timeout=5)] == [0.0, 1.0, 2.0]


async def test_429_waits_for_retry_after_then_succeeds(fake_server: Any) -> None:
    async def busy_twice(request: Request, body: dict[str, Any]) -> Response | None:
        if len(server.requests) <= 2:
            return JSONResponse({"detail": "queue full"}, status_code=429, headers={"Retry-After": "0.3"})
        return None

    server = fake_server(busy_twice)
    async with RewardClient(server.url, retry=FAST_RETRY, seed=0) as client:
        results = await client.ascore(items(2))
    assert [r["reward"] for r in results] == [0.0, 1.0]
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert len(server.requests) == 3
    assert all(gap >= 0.3 for gap in gaps), f"Retry-After not honoured: gaps {gaps}"


async def test_5xx_is_retried_with_backoff(fake_server: Any) -> None:
    async def flaky(request: Request, body: dict[str, Any]) -> Response | None:
        if len(server.requests) <= 3:
            return Response("upstream hiccup", status_code=503)
        return None

    server = fake_server(flaky)
    async with RewardClient(server.url, retry=FAST_RETRY, seed=0) as client:
        results = await client.ascore(items(3))
    assert [r["error"] for r in results] == [None, None, None]
    assert len(server.requests) == 4


async def test_persistent_5xx_gives_each_item_an_error_after_max_attempts(fake_server: Any) -> None:
    async def broken(request: Request, body: dict[str, Any]) -> Response:
        return Response("boom", status_code=500)

    server = fake_server(broken)
    policy = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.01)
    async with RewardClient(server.url, retry=policy) as client:
        results = await client.ascore(items(2))
    assert len(server.requests) == 3
    assert [r["reward"] for r in results] == [None, None]
    assert all("gave up after 3 attempts" in r["error"] and "HTTP 500: boom" in r["error"] for r in results)


async def test_hanging_server_cannot_outlast_the_deadline(fake_server: Any) -> None:
    async def hang(request: Request, body: dict[str, Any]) -> Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    server = fake_server(hang)
    async with RewardClient(server.url, timeout_s=0.8, retry=FAST_RETRY) as client:
        started = time.monotonic()
        results = await client.ascore(items(5))
        elapsed = time.monotonic() - started
    # the server hangs for an hour: any bound far below that proves the deadline cut the call
    assert elapsed < 10, f"call took {elapsed:.2f}s with a 0.8s deadline"
    assert [r["reward"] for r in results] == [None] * 5
    assert all("deadline" in r["error"] and "timed out" in r["error"] for r in results), results[0]["error"]


async def test_attempt_timeout_retries_a_hung_request_within_the_deadline(fake_server: Any) -> None:
    async def hang_first(request: Request, body: dict[str, Any]) -> Response | None:
        if len(server.requests) == 1:
            await asyncio.sleep(3600)
        return None

    server = fake_server(hang_first)
    async with RewardClient(server.url, timeout_s=5, attempt_timeout_s=0.3, retry=FAST_RETRY) as client:
        results = await client.ascore(items(2))
    assert [r["reward"] for r in results] == [0.0, 1.0]


async def test_server_gone_after_the_start_check_returns_errors_by_the_deadline() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # check_health=False: the service answered at start and went away later (the start check
    # itself is tested in test_client_health.py).
    url = f"http://127.0.0.1:{port}"
    async with RewardClient(url, timeout_s=0.5, retry=FAST_RETRY, check_health=False) as client:
        started = time.monotonic()
        results = await client.ascore(items(3))
    assert time.monotonic() - started < 10, "retries must stop at the 0.5 s deadline, not run their course"
    assert all(r["reward"] is None and "ConnectError" in r["error"] for r in results)


async def test_retry_after_beyond_the_deadline_fails_fast(fake_server: Any) -> None:
    async def busy(request: Request, body: dict[str, Any]) -> Response:
        return JSONResponse({"detail": "queue full"}, status_code=429, headers={"Retry-After": "120"})

    server = fake_server(busy)
    async with RewardClient(server.url, timeout_s=30, retry=FAST_RETRY) as client:
        started = time.monotonic()
        results = await client.ascore(items(2))
    assert time.monotonic() - started < 20, "must not wait out the 120 s Retry-After"
    assert all("would pass the call's deadline" in r["error"] and "429" in r["error"] for r in results)


async def test_a_timeout_after_server_errors_still_names_the_servers_answer(fake_server: Any) -> None:
    # The first attempt gets a 503, the second hangs past the call's deadline: the item's error
    # says the attempt timed out and keeps the 503 the server gave, the only real diagnosis.
    async def down_then_hanging(request: Request, body: dict[str, Any]) -> Response:
        if len(server.requests) > 1:
            await asyncio.sleep(30)
        return Response("scoring backend down", status_code=503)

    server = fake_server(down_then_hanging)
    async with RewardClient(server.url, timeout_s=2, retry=FAST_RETRY) as client:
        [result] = await client.ascore(items(1))
    assert result["reward"] is None
    assert "timed out" in result["error"], result["error"]
    assert "the server's last answer: HTTP 503: scoring backend down" in result["error"], result["error"]


async def test_413_halves_the_chunk_until_the_server_accepts_it(fake_server: Any) -> None:
    async def limit_two(request: Request, body: dict[str, Any]) -> Response | None:
        if len(body["items"]) > 2:
            return JSONResponse({"detail": "at most 2 items per batch"}, status_code=413)
        return None

    server = fake_server(limit_two)
    async with RewardClient(server.url, chunk_size=8) as client:
        results = await client.ascore(items(8))
    assert [r["reward"] for r in results] == [float(i) for i in range(8)]
    assert sorted(len(b["items"]) for b in server.requests if len(b["items"]) <= 2) == [2, 2, 2, 2]


async def test_422_for_one_item_fails_that_item_and_scores_the_rest(fake_server: Any) -> None:
    async def reject_unknown_task(request: Request, body: dict[str, Any]) -> Response | None:
        bad = [i for i, item in enumerate(body["items"]) if item["task"]["type"] == "chess"]
        if bad:
            detail = [
                {
                    "loc": ["body", "items", i, "task", "type"],
                    "msg": "unknown task type 'chess'",
                    "type": "value_error",
                }
                for i in bad
            ]
            return JSONResponse({"detail": detail}, status_code=422)
        return None

    server = fake_server(reject_unknown_task)
    batch = items(4)
    batch[2]["task"] = {"type": "chess"}
    async with RewardClient(server.url) as client:
        results = await client.ascore(batch)
    assert [r["reward"] for r in results] == [0.0, 1.0, None, 3.0]
    assert results[2]["error"] == "HTTP 422: task.type: unknown task type 'chess'"


async def test_422_for_the_whole_batch_fails_every_item_with_the_reason(fake_server: Any) -> None:
    async def bad_weights(request: Request, body: dict[str, Any]) -> Response:
        detail = [
            {"loc": ["body", "rewards", "bogus"], "msg": "unknown reward 'bogus'", "type": "value_error"}
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    server = fake_server(bad_weights)
    async with RewardClient(server.url) as client:
        results = await client.ascore(items(2), rewards={"bogus": 1.0})
    assert len(server.requests) == 1
    assert [r["error"] for r in results] == ["HTTP 422: body.rewards.bogus: unknown reward 'bogus'"] * 2


async def test_bad_api_key_raises_instead_of_scoring_everything_as_an_error(fake_server: Any) -> None:
    async def auth(request: Request, body: dict[str, Any]) -> Response | None:
        if request.headers.get("authorization") != "Bearer right":
            return JSONResponse({"detail": "missing or wrong API key"}, status_code=401)
        return None

    server = fake_server(auth)
    async with RewardClient(server.url, api_key="wrong") as client:
        with pytest.raises(RewardClientError, match="HTTP 401: missing or wrong API key"):
            await client.ascore(items(1))
    async with RewardClient(server.url, api_key="right") as client:
        assert (await client.ascore(items(1)))[0]["error"] is None


async def test_miscounted_answer_is_reported_not_misaligned(fake_server: Any) -> None:
    async def short(request: Request, body: dict[str, Any]) -> Response:
        return JSONResponse({"results": []})

    server = fake_server(short)
    async with RewardClient(server.url) as client:
        results = await client.ascore(items(2))
    assert all(r["error"] == "reward client: server answered 0 results for 2 items" for r in results)


async def test_empty_batch_sends_nothing(fake_server: Any) -> None:
    server = fake_server()
    async with RewardClient(server.url) as client:
        assert await client.ascore([]) == []
    assert server.requests == []


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_is_jittered_and_capped() -> None:
    import random

    policy = RetryPolicy(backoff_base_s=1.0, backoff_max_s=4.0)
    rng = random.Random(0)
    waits = [policy.backoff_s(attempt, rng) for attempt in range(1, 50)]
    assert all(0 <= w <= 4.0 for w in waits)
    assert len({round(w, 6) for w in waits}) == len(waits), "waits should be jittered, not fixed"


def test_sync_score_is_safe_from_many_threads(fake_server: Any) -> None:
    server = fake_server()
    with RewardClient(server.url) as client, ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda n: client.score(items(n)), range(1, 13)))
    assert [[r["reward"] for r in answer] for answer in answers] == [
        [float(i) for i in range(n)] for n in range(1, 13)
    ]


def test_a_forked_child_gets_its_own_background_loop(fake_server: Any) -> None:
    # verl and OpenRLHF score in worker processes forked from a parent that already used the client.
    server = fake_server()
    with RewardClient(server.url) as client:
        assert client.score(items(2))[1]["reward"] == 1.0
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: the parent's loop thread does not exist here
            try:
                rewards = [r["reward"] for r in client.score(items(3), timeout_s=10)]
                os.write(write_end, json.dumps(rewards).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            child_rewards = json.loads(pipe.read() or "null")
        os.waitpid(pid, 0)
    assert child_rewards == [0.0, 1.0, 2.0]


def test_against_reward_server() -> None:
    """The real service: verdicts come back aligned, its 413 limit is split around, its 422 isolated."""
    math = [
        ("\\boxed{\\frac{1}{2}}", "0.5", 1.0),
        ("\\boxed{3}", "4", 0.0),
        ("so it is \\boxed{4}", "4", 1.0),
        ("no idea", "7", 0.0),
        ("\\boxed{x^2}", "x^2", 1.0),
        ("\\boxed{12}", "12", 1.0),
        ("\\boxed{-1}", "1", 0.0),
    ]
    batch = [{"completion": c, "task": {"type": "math", "answer": gold}} for c, gold, _ in math]
    batch[3]["rewards"] = {"no-such-reward": 1.0}  # refused by the server with a 422 naming this item
    env = {"REWARD_SERVER_MAX_BATCH_ITEMS": "3", "REWARD_SERVER_CPU_WORKERS": "1"}
    with running_reward_server(env) as url, RewardClient(url, chunk_size=7, timeout_s=60) as client:
        results = client.score(batch, rewards={"accuracy": 1.0})
    expected = [score for _, _, score in math]
    expected[3] = None
    assert [r["reward"] for r in results] == expected
    assert results[3]["error"] is not None and "no-such-reward" in results[3]["error"]
    assert [r["id"] for r in results] == [str(i) for i in range(len(math))]
    assert results[0]["details"]["accuracy"]["status"] == "correct"


def test_client_and_adapters_import_without_torch() -> None:
    # Trainer nodes that only call the service (TRL, verl, OpenRLHF) need httpx, not torch.
    code = "import sys, trainer_client; print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


async def test_a_deadline_too_short_to_send_still_answers_every_item(fake_server: Any) -> None:
    server = fake_server()
    async with RewardClient(server.url, chunk_size=2) as client:
        results = await client.ascore(items(5), timeout_s=1e-9)
    assert [r["reward"] for r in results] == [None] * 5
    assert all("deadline" in r["error"] and "not sent yet" in r["error"] for r in results)
