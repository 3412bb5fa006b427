"""`on_failure`: what each adapter gives a trainer for a sample the service gave no verdict.

The service's side (a timeout is `reward: null` with `details[component]["failure"]`) is tested
in tests/test_math_checker.py and tests/test_score_api.py; here a stand-in server answers with
such results, and each adapter is called as its trainer calls it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.responses import JSONResponse, Response

from tests.support.fake_scorer import FakeScorer, fake_scorers
from trainer_client import OnFailure, compute_score, compute_score_async, compute_score_batch, make_trl_reward
from trainer_client.grpo import group_advantages, parse_args
from trainer_client.outcomes import failure_class, reward_for
from trainer_client.types import ScoreResult


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeScorer]]:
    with fake_scorers() as start:
        yield start


async def timeouts_for_t(request: Any, body: dict[str, Any]) -> Response:
    """Scores 1.0, except completions starting with "t": the math check overran its budget."""
    results = []
    for item in body["items"]:
        if str(item["completion"]).startswith("t"):
            results.append(
                {
                    "id": item["id"],
                    "reward": None,
                    "scores": {},
                    "details": {"accuracy": {"failure": "timeout", "budget_s": 10.0}},
                    "error": "accuracy: math check exceeded its 10 s budget",
                }
            )
        else:
            results.append(
                {"id": item["id"], "reward": 1.0, "scores": {"accuracy": 1.0}, "details": {}, "error": None}
            )
    return JSONResponse({"results": results})


def result(reward: float | None, details: dict[str, Any] | None = None) -> ScoreResult:
    return {
        "id": "0",
        "reward": reward,
        "scores": {},
        "details": details or {},
        "error": None if reward else "x",
    }


def test_the_failure_class_comes_from_the_details_or_is_the_clients_own() -> None:
    assert failure_class(result(0.0)) is None  # a real 0 is a verdict
    assert failure_class(result(None, {"accuracy": {"failure": "sandbox_error"}})) == "sandbox_error"
    assert failure_class(result(None)) == "unscored"  # the client made it: no result from the service
    assert reward_for(result(None), OnFailure.MASK) is None
    assert reward_for(result(None), OnFailure.ZERO, error_score=-1.0) == -1.0
    assert reward_for(result(0.0), OnFailure.MASK) == 0.0


# ---------------------------------------------------------------- TRL


async def test_trl_masks_a_sample_without_a_verdict_and_zero_trains_it_as_wrong(fake_server: Any) -> None:
    server = fake_server(timeouts_for_t)
    extras: dict[str, list[Any]] = {}
    columns = {"completion_ids": [[1], [2]], "log_extra": lambda k, v: extras.update({k: v})}
    masked = make_trl_reward(server.url)  # the default keeps what TRL got before: None
    assert await masked(prompts=["p", "q"], completions=["ok", "timeout"], **columns) == [1.0, None]
    assert extras["reward_server/failure"] == ["", "timeout"]
    zero = make_trl_reward(server.url, on_failure="zero", error_score=-0.5)
    assert await zero(prompts=["p", "q"], completions=["ok", "timeout"], completion_ids=[[1], [2]]) == [
        1.0,
        -0.5,
    ]
    for reward in (masked, zero):
        await reward.client.aclose()  # type: ignore[attr-defined]


def test_trl_refuses_an_unknown_on_failure() -> None:
    with pytest.raises(ValueError, match="on_failure must be one of 'zero', 'mask', not 'skip'"):
        make_trl_reward("http://127.0.0.1:9", on_failure="skip")


# ---------------------------------------------------------------- verl


def test_verl_zero_gives_error_score_and_mask_says_why_verl_cannot(fake_server: Any) -> None:
    server = fake_server(timeouts_for_t)
    scores = compute_score_batch(
        ["d", "d"], ["ok", "timeout"], ["1", "1"], base_url=server.url, error_score=-1.0
    )
    assert scores == [1.0, -1.0]
    with pytest.raises(ValueError, match="not possible with verl 0.9.1.*NaN"):
        compute_score("d", "ok", "1", base_url=server.url, on_failure="mask")
    with pytest.raises(ValueError, match="not possible with verl 0.9.1"):
        asyncio.run(compute_score_async("d", "ok", "1", base_url=server.url, on_failure="mask"))


# ---------------------------------------------------------------- the GRPO loop


def test_grpo_mask_leaves_the_sample_out_of_its_group_and_zero_trains_it_as_wrong() -> None:
    results = [result(1.0), result(0.0), result(None, {"accuracy": {"failure": "timeout"}}), result(1.0)]
    masked, mask = group_advantages([reward_for(r, OnFailure.MASK) for r in results], group_size=4)
    assert mask.tolist() == [1.0, 1.0, 0.0, 1.0] and masked[2].item() == 0.0
    zero, zero_mask = group_advantages([reward_for(r, OnFailure.ZERO) for r in results], group_size=4)
    assert zero_mask.tolist() == [1.0] * 4 and zero[2].item() < 0  # pushed down as a wrong answer
    assert masked[1].item() < zero[1].item()  # the real 0 is pushed down harder against fewer zeros


def test_grpo_command_line_takes_on_failure() -> None:
    base = ["--model", "m", "--prompts", "p", "--reward-url", "u", "--log", "l"]
    assert parse_args(base).on_failure is OnFailure.MASK
    assert parse_args([*base, "--on-failure", "zero"]).on_failure is OnFailure.ZERO
