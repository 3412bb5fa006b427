"""The TRL and verl adapters: called exactly as those trainers call reward functions.

What they send is checked against a recording stand-in server; what they return for real
completions is checked against a `reward-server` process (`reward_server_url`).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.responses import Response

from tests.support.fake_scorer import FakeScorer, fake_scorers
from trainer_client import compute_score, compute_score_async, compute_score_batch, make_trl_reward


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeScorer]]:
    with fake_scorers() as start:
        yield start


async def always_503(request: Any, body: dict[str, Any]) -> Any:
    return Response("scoring backend down", status_code=503)


RIGHT = "<think>2 and 2 make 4</think><answer>\\boxed{4}</answer>"
WRONG = "<think>2 and 2 make 5</think><answer>\\boxed{5}</answer>"


# ---------------------------------------------------------------- TRL


def test_trl_reward_is_an_async_function_named_for_trl_logs() -> None:
    reward = make_trl_reward("http://127.0.0.1:9", name="math_reward")
    assert inspect.iscoroutinefunction(reward)
    assert reward.__name__ == "math_reward"


async def test_trl_standard_format_sends_columns_as_tasks_and_languages(fake_server: Any) -> None:
    server = fake_server()
    reward = make_trl_reward(server.url, rewards={"accuracy": 1.0}, api_key="k")
    metrics: list[tuple[str, float]] = []
    extras: dict[str, list[Any]] = {}
    rewards = await reward(
        prompts=["What is 2+2?", "Say hi", "Name it"],
        completions=["abcd", "hi", "x"],
        completion_ids=[[1, 2], [3], [4]],
        task=[{"type": "math", "answer": "4"}, '{"type": "none"}', None],
        solution=["ignored: task wins", "ignored", "42"],
        language=["en", None, "de"],
        trainer_state=object(),
        log_metric=lambda name, value: metrics.append((name, value)),
        log_extra=lambda name, values: extras.update({name: values}),
    )
    assert rewards == [4.0, 2.0, 1.0]
    body = server.requests[0]
    assert body["rewards"] == {"accuracy": 1.0}
    assert [item["task"] for item in body["items"]] == [
        {"type": "math", "answer": "4"},
        {"type": "none"},
        {"type": "math", "answer": "42"},
    ]
    assert [item.get("language") for item in body["items"]] == ["en", None, "de"]
    assert body["items"][0]["prompt"] == "What is 2+2?"
    assert server.headers[0]["authorization"] == "Bearer k"
    assert ("reward_server/length", pytest.approx(7 / 3)) in metrics
    assert ("reward_server/error_rate", 0.0) in metrics
    assert extras == {"reward_server/error": ["", "", ""], "reward_server/failure": ["", "", ""]}
    await reward.client.aclose()  # type: ignore[attr-defined]


async def test_trl_conversational_format_sends_plain_messages(fake_server: Any) -> None:
    server = fake_server()
    reward = make_trl_reward(server.url, language="fr")
    prompts = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}]]
    completions = [[{"role": "assistant", "content": [{"type": "text", "text": "four"}], "tool_calls": None}]]
    rewards = await reward(prompts=prompts, completions=completions, completion_ids=[[1]], answer=["4"])
    assert rewards == [4.0]
    (item,) = server.requests[0]["items"]
    assert item["prompt"] == prompts[0]
    assert item["completion"] == [{"role": "assistant", "content": "four"}]
    assert item["task"] == {"type": "math", "answer": "4"}
    assert item["language"] == "fr"
    await reward.client.aclose()  # type: ignore[attr-defined]


async def test_trl_gets_none_for_samples_the_service_could_not_score(fake_server: Any) -> None:
    # The service answered at start, then fails every batch: every sample comes back None (TRL
    # skips them) instead of hanging. (A service dead at start raises: test_client_health.py.)
    server = fake_server(always_503)
    reward = make_trl_reward(server.url, timeout_s=0.3)
    rewards = await reward(prompts=["p", "q"], completions=["a", "b"], completion_ids=[[1], [2]])
    assert rewards == [None, None]
    await reward.client.aclose()  # type: ignore[attr-defined]


async def test_trl_reward_scores_real_completions(reward_server_url: str) -> None:
    reward = make_trl_reward(reward_server_url, rewards={"accuracy": 1.0, "format": 0.5})
    rewards = await reward(
        prompts=["What is 2+2?"] * 2,
        completions=[RIGHT, WRONG],
        completion_ids=[[1], [2]],
        solution=["4", "4"],
    )
    assert rewards == [1.5, 0.5]
    await reward.client.aclose()  # type: ignore[attr-defined]


async def test_trl_awaits_several_reward_calls_concurrently(fake_server: Any) -> None:
    server = fake_server()
    reward = make_trl_reward(server.url)
    calls = [reward(prompts=["p"], completions=["abc"], completion_ids=[[1]]) for _ in range(4)]
    assert await asyncio.gather(*calls) == [[3.0]] * 4
    assert server.max_in_flight > 1
    await reward.client.aclose()  # type: ignore[attr-defined]


# ---------------------------------------------------------------- verl


def test_verl_batch_maps_ground_truths_and_extra_info(fake_server: Any) -> None:
    server = fake_server()
    scores = compute_score_batch(
        data_sources=["gsm8k", "custom", "gsm8k"],
        solution_strs=["ab", "abc", "a"],
        ground_truths=["72", '{"type": "none"}', "1"],
        extra_infos=[
            {"question": "How many?", "language": "en"},
            {"prompt": [{"role": "user", "content": "hi"}], "rewards": {"format": 1.0}},
            None,
        ],
        base_url=server.url,
        rewards={"accuracy": 1.0},
    )
    assert scores == [2.0, 3.0, 1.0]
    items = server.requests[0]["items"]
    assert [i["task"] for i in items] == [
        {"type": "math", "answer": "72"},
        {"type": "none"},
        {"type": "math", "answer": "1"},
    ]
    assert items[0]["prompt"] == "How many?" and items[0]["language"] == "en"
    assert items[1]["prompt"] == [{"role": "user", "content": "hi"}] and items[1]["rewards"] == {
        "format": 1.0
    }
    assert server.requests[0]["rewards"] == {"accuracy": 1.0}


def test_verl_per_sample_signature_and_environment_url(
    fake_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_server()
    monkeypatch.setenv("REWARD_SERVER_URL", server.url)
    assert compute_score("gsm8k", "abcd", "4") == 4.0
    assert compute_score("gsm8k", "ab", "4", {"task": {"type": "none"}}, sandbox_fusion_url="ignored") == 2.0
    assert server.requests[1]["items"][0]["task"] == {"type": "none"}


def test_verl_gives_error_score_and_logs_when_scoring_fails(
    caplog: pytest.LogCaptureFixture, fake_server: Any
) -> None:
    server = fake_server(always_503)
    with caplog.at_level(logging.WARNING, logger="trainer_client.verl"):
        scores = compute_score_batch(
            ["d"], ["x"], ["1"], base_url=server.url, timeout_s=0.3, error_score=-1.0
        )
    assert scores == [-1.0]
    assert "could not score 1 of 1 samples" in caplog.text


def test_verl_without_a_url_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REWARD_SERVER_URL", raising=False)
    with pytest.raises(ValueError, match="REWARD_SERVER_URL"):
        compute_score("d", "x", "1")


def test_verl_scores_real_completions(reward_server_url: str) -> None:
    scores = compute_score_batch(
        ["math", "math"], [RIGHT, WRONG], ["4", "4"], base_url=reward_server_url, rewards={"accuracy": 1.0}
    )
    assert scores == [1.0, 0.0]


def test_verl_code_task_as_json_ground_truth(reward_server_url: str) -> None:
    # verl code datasets carry test cases in ground_truth; a JSON task passes them through as is.
    task = {"type": "code", "language": "python", "tests": [{"stdin": "1 2\n", "expected_stdout": "3\n"}]}
    right = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    wrong = "```python\nprint(0)\n```"
    scores = compute_score_batch(
        ["code", "code"], [right, wrong], [json.dumps(task), task], base_url=reward_server_url,
        rewards={"accuracy": 1.0},
    )  # fmt: skip
    assert scores == [1.0, 0.0]


# ---------------------------------------------------------------- verl 0.9's reward loop


async def test_verl_async_scores_concurrent_samples_in_one_request(fake_server: Any) -> None:
    """verl's reward worker awaits compute_score once per sample, all at once: one request goes out."""
    server = fake_server()
    calls = [
        compute_score_async(
            "gsm8k", "x" * n, "1", {"question": "q"}, base_url=server.url, rewards={"format": 1.0}
        )
        for n in range(1, 9)
    ]
    infos = await asyncio.gather(*calls)
    assert len(server.requests) == 1 and len(server.requests[0]["items"]) == 8
    assert [info["score"] for info in infos] == [float(n) for n in range(1, 9)]
    assert {tuple(sorted(info)) for info in infos} == {("format", "reward_error", "score")}


async def test_verl_async_keeps_its_keys_when_a_sample_cannot_be_scored(
    caplog: pytest.LogCaptureFixture, fake_server: Any
) -> None:
    # The service answered at start, then fails every batch; a bad label fails its sample alone.
    # (A service dead at start raises instead: test_client_health.py.)
    server = fake_server(always_503)
    with caplog.at_level(logging.WARNING, logger="trainer_client.verl"):
        good_shape, bad_label = await asyncio.gather(
            compute_score_async("d", "x", "1", base_url=server.url, timeout_s=0.3, rewards={"accuracy": 1.0}),
            compute_score_async(
                "d", "x", {"no": "type"}, base_url=server.url, timeout_s=0.3, rewards={"accuracy": 1.0}
            ),
        )
    for info in (good_shape, bad_label):
        assert info == {"score": 0.0, "reward_error": 1.0, "accuracy": 0.0}
    assert "ground_truth: a task object needs a 'type' field" in caplog.text


VERL_STDIO = '{"inputs": ["1 2\\n", "5 7\\n"], "outputs": ["3\\n", "12\\n"]}'
ADD_STDIO = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
ADD_FN = "```python\ndef add(a, b):\n    return a + b\n```"
ADD_METHOD = "```python\nclass Solution:\n    def add(self, a, b):\n        return a + b\n```"
PAIR_FN = "```python\ndef pair(n):\n    return (n, n)\n```"


def test_verl_native_code_ground_truths_run_in_the_sandbox(reward_server_url: str) -> None:
    """verl's `{"inputs", "outputs"[, "fn_name"]}` ground truths are code tests, never math answers."""
    import numpy as np

    cases = [
        (ADD_STDIO, VERL_STDIO, 1.0),
        ("```python\nprint(3)\n```", VERL_STDIO, 0.5),  # passes one of two tests
        (ADD_STDIO, {"inputs": np.array(["1 2\n"]), "outputs": np.array(["3\n"])}, 1.0),  # parquet's dict
        # call-based, verl's SandboxFusion form: each input is JSON lines, one per argument
        (ADD_FN, '{"fn_name": "add", "inputs": ["1\\n2", "[1]\\n[2]"], "outputs": ["3", "[1, 2]"]}', 1.0),
        (ADD_METHOD, {"fn_name": "add", "inputs": ["1\n2"], "outputs": ["3"]}, 1.0),
        (
            "```python\ndef add(a, b):\n    return a - b\n```",
            {"fn_name": "add", "inputs": ["1\n2"], "outputs": ["3"]},
            0.0,
        ),
        # call-based, APPS/TACO/PRIME form: inputs are argument lists, an output may be wrapped in a list
        (ADD_FN, {"fn_name": "add", "inputs": [[1, 2], [3, 4]], "outputs": [[3], 7]}, 1.0),
        (PAIR_FN, {"fn_name": "pair", "inputs": [[2]], "outputs": [[2, 2]]}, 1.0),
        (
            "```python\ndef add(a, b):\n    return True\n```",
            {"fn_name": "add", "inputs": [[0, 1]], "outputs": [1]},
            0.0,
        ),
        (
            "```python\nimport sys\nsys.exit(0)\n```",
            {"fn_name": "add", "inputs": [[0, 1]], "outputs": [1]},
            0.0,
        ),
    ]
    scores = compute_score_batch(
        ["codecontests"] * len(cases),
        [completion for completion, _, _ in cases],
        [truth for _, truth, _ in cases],
        base_url=reward_server_url,
        rewards={"accuracy": 1.0},
    )
    assert scores == [expected for _, _, expected in cases]
